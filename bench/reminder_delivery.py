"""Benchmark: reminders from the database to the fake Telegram server at the bot's limit, through
the whole path a worker runs: `SendReminders` claims reminders from PostgreSQL with a lease,
words each from what is due, sends chunks through `TelegramNoticeSender` and the Redis throttle
(25/s per token, 1/s per chat), and records each outcome.

    .venv/bin/python bench/reminder_delivery.py [--residents 1500] [--workers 2]

The fake Bot API allows 25 messages a second by arrival (a send that would make more answers 429
with retry_after 1 s), and misbehaves on its own: a small share of sends answered 429 at random
(`--too-many`, 0.2 % by default), 1 % answered 502. `--workers` SendReminders loops run at once
(two workers' worth of claims sharing one throttle in Redis, as two worker processes would).

Reported: the rate reached (messages delivered / time from the first to the last delivery) as a
share of the limit (target >= 0.9), the same net of the pauses Telegram ordered (each 429 stops
every sender on the token for retry_after), the most messages the fake received in any
one-second window (must not exceed the limit), and the outcomes; every resident reminded once.
Needs PostgreSQL (BENCH_PG_*) and Redis at 127.0.0.1:6379 (BENCH_REDIS_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.servers.fake_telegram import FakeTelegram

from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.telegram_notices import TelegramNoticeSender
from komunalka.adapters.throttle import RedisSendThrottle, default_rates
from komunalka.application.notifications.deliver_outbox import RetryPolicy
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.reminders import QuietHours, RuleKind
from reminder_plan import WORLD
from support import Database, komunalka, machine, save_json, temporary_database

TARGET = 0.9
LIMIT = 25
COMMAND = ".venv/bin/python bench/reminder_delivery.py"
# Planned at 00:00:01 over a day that ends at 00:00:02: every reminder due at once.
PLANNED = datetime.fromisoformat("2026-11-10T00:00:01+02:00")
QUIET = QuietHours(clock_time(0), clock_time(0, 0, 2))
SENDING = QuietHours(clock_time(0), clock_time(23, 59, 59))

SEED = [
    *WORLD,
    """INSERT INTO resident_profiles (resident_id, language, reminder_channel,
                                      reminder_consent_at, contact)
       SELECT g, 'uk', 'telegram', now(), '' FROM generate_series(1, $1::bigint) g""",
    """INSERT INTO identities (channel, external_id, resident_id, language, reminders,
                               created_at)
       SELECT 'telegram', (100000 + g)::text, g, 'uk', true, now()
       FROM generate_series(1, $1::bigint) g""",
]


class RunningClock:
    """A clock that starts at `start` and runs at real speed (retries fall due as they would)."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._began = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._began)


async def seed(db: Database, residents: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(db.dsn)
    try:
        await conn.execute("SET session_replication_role = replica")
        for statement in SEED:
            await conn.execute(statement, *([residents] if "$1" in statement else []))
        for table in ("residents", "accounts", "meters", "suppliers"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def measure(db: Database, residents: int, workers: int, too_many: float) -> dict[str, Any]:
    engine = create_engine(db.url)
    storage = SqlStorage(engine)
    redis = Redis.from_url(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    fake = FakeTelegram(
        token=f"{uuid.uuid4().int % 10**9}:B",
        limit_per_second=LIMIT,
        too_many_rate=too_many,
        error_rate=0.01,
        seed=10,
    )
    await fake.start()
    planner = Wiring.wire(storage, RunningClock(PLANNED), quiet=QUIET)
    for kind in RuleKind:
        if kind is not RuleKind.OPENS:
            await planner.change_reminder_rule(None, "kte", _off(kind))
    planned = (await planner.plan_reminders()).planned
    policy = RetryPolicy(first_delay=timedelta(seconds=1), max_delay=timedelta(seconds=8))
    clock = RunningClock(PLANNED + timedelta(hours=1))
    try:
        async with httpx.AsyncClient(base_url=fake.url, timeout=10) as client:
            throttle = RedisSendThrottle(redis, default_rates(LIMIT))
            sender = TelegramNoticeSender(client, fake.token, throttle)
            loops = [
                Wiring.wire(
                    storage, clock, notices={"telegram": sender}, quiet=SENDING, policy=policy
                ).send_reminders
                for _ in range(workers)
            ]
            outcomes: Counter[str] = Counter()
            started = time.monotonic()
            while outcomes["sent"] + outcomes["failed"] < planned:
                rounds = await asyncio.gather(*(send() for send in loops))
                for done in rounds:
                    outcomes.update({f: getattr(done, f) for f in done.__slots__})
                if not any(rounds):
                    await asyncio.sleep(0.2)  # retries not yet due
            elapsed = time.monotonic() - started
    finally:
        await fake.stop()
        await redis.aclose()
        await engine.dispose()
    delivered = fake.delivered()
    span = delivered[-1].at - delivered[0].at
    statuses = Counter(c.status for c in fake.calls)
    paused = statuses[429] * fake.retry_after
    by_chat = Counter(str(c.params["chat_id"]) for c in delivered)
    return {
        "planned": planned,
        "delivered": len(delivered),
        "seconds": elapsed,
        "rate": len(delivered) / span,
        "share": len(delivered) / span / LIMIT,
        "share_net_of_pauses": len(delivered) / max(span - paused, 1e-9) / LIMIT,
        "most_in_a_second": fake.max_in_window(1.0),
        "answers": {str(k): v for k, v in sorted(statuses.items())},
        "outcomes": {k: v for k, v in outcomes.items() if v},
        "twice": sum(1 for n in by_chat.values() if n > 1),
    }


def _off(kind: RuleKind) -> Any:
    from komunalka.application.notifications.manage_reminders import RuleChange

    return RuleChange(kind, enabled=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--too-many", type=float, default=0.002)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with temporary_database("delivery") as db:
        komunalka(db, "db", "upgrade")
        asyncio.run(seed(db, args.residents))
        result = asyncio.run(measure(db, args.residents, args.workers, args.too_many))
    result |= {"machine": machine(), "workers": args.workers, "too_many": args.too_many}
    save_json(args.json, result)
    for key, value in result.items():
        print(f"{key}: {value}")
    print(
        f"| {result['planned']} | {args.workers} | {args.too_many:.1%} random 429, 1 % 502 "
        f"| {result['rate']:.2f}/s | {result['share']:.3f} | {result['share_net_of_pauses']:.3f} "
        f"| {result['most_in_a_second']} | {result['twice']} | {result['outcomes']} |"
    )
    met = result["share"] >= TARGET and result["most_in_a_second"] <= LIMIT
    return 0 if met and result["twice"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
