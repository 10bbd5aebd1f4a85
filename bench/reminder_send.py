"""Reminders through Telegram at the bot's limit: N notices through TelegramNoticeSender and the
Redis send throttle at 25/s, against the project's fake Bot API allowing 25/s (by arrival) and
misbehaving: a random 2 % of sends answered 429 (retry_after 1 s), 1 % answered 502.

Reported: the rate reached over the run / the limit (target 0.9), the most messages the fake
received in any one-second window (must not exceed the limit), and the outcomes. Needs Redis at
127.0.0.1:6379 (BENCH_REDIS_URL). Usage: .venv/bin/python bench/reminder_send.py [--notices 1500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tests.servers.fake_telegram import FakeTelegram

from komunalka.adapters.telegram_notices import TelegramNoticeSender
from komunalka.adapters.throttle import RedisSendThrottle, default_rates
from komunalka.application.notifications.channels import Notice

TARGET = 0.9


async def run(notices: int, limit: int, too_many: float) -> int:
    redis = Redis.from_url(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    fake = FakeTelegram(
        token=f"{uuid.uuid4().int % 10**9}:B",
        limit_per_second=limit,
        too_many_rate=too_many,
        error_rate=0.01,
        seed=10,
    )
    await fake.start()
    batch = [Notice("telegram", str(10_000 + i), "Час передати показники") for i in range(notices)]
    async with httpx.AsyncClient(base_url=fake.url, timeout=10) as client:
        sender = TelegramNoticeSender(
            client, fake.token, RedisSendThrottle(redis, default_rates(limit))
        )
        started = time.monotonic()
        results = await sender.send(batch)
        elapsed = time.monotonic() - started
    await fake.stop()
    await redis.aclose()
    delivered = fake.delivered()
    rate = len(delivered) / (delivered[-1].at - delivered[0].at) if len(delivered) > 1 else 0.0
    most = fake.max_in_window(1.0)
    outcomes = Counter(r.outcome.value for r in results)
    answered = Counter(c.status for c in fake.calls)
    print(f"{notices} notices in {elapsed:.1f} s; calls answered {dict(sorted(answered.items()))}")
    print(f"rate {rate:.2f}/s = {rate / limit:.3f} x the limit {limit}/s (target {TARGET})")
    print(f"most in any 1-second window at the fake: {most} (limit {limit})")
    print(f"outcomes: {dict(outcomes)}")
    print(
        f"| {notices} | {rate:.2f}/s | {rate / limit:.3f} | {most} | "
        f"{', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))} | {os.cpu_count()} cores |"
    )
    return 1 if most > limit or sum(outcomes.values()) != notices else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=1500)
    parser.add_argument("--limit", type=int, default=25)
    parser.add_argument("--too-many", type=float, default=0.02, help="share of random 429s")
    args = parser.parse_args()
    sys.exit(asyncio.run(run(args.notices, args.limit, args.too_many)))


if __name__ == "__main__":
    main()
