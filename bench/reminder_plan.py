"""Benchmark: planning a window reminder for N residents on PostgreSQL, `plan_due` through
`SqlReminderBook` (one INSERT ... SELECT), against a bare `SELECT count(*)` of the same audience
measured in the same run.

    .venv/bin/python bench/reminder_plan.py [--residents 1000000]

The world, seeded in SQL (generate_series, foreign-key triggers off while it lands): one supplier
(kte); N residents, each with an account, a hot-water meter on it and the account linked; a
profile with consent on a channel by turns (e-mail, SMS, Telegram, Viber; the messengers with an
identity); every tenth meter has an accepted reading for the period, so 0.9 N are due. Timed:
the reference count, then `plan_due` in a transaction with its commit, then the same plan again
(every row a conflict: nothing added). Memory: this process's RSS before and after the plan and
its peak (sampled every 10 ms): flat, since the statement runs in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import func, select

from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.reminder_audience import due_audience
from komunalka.adapters.db.storage import SqlStorage
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.reminders import SendSpan
from support import (
    BenchError,
    Database,
    PeakRss,
    checkpoint,
    komunalka,
    machine,
    mib,
    save_json,
    sql,
    temporary_database,
)

TARGET_SECONDS = 30.0
TARGET_RESIDENTS = 1_000_000
PERIOD = BillingPeriod(2026, 11).index
SPAN = SendSpan(1_795_158_000, 11 * 3600)  # 2026-11-20, 09:00-20:00 Kyiv
COMMAND = ".venv/bin/python bench/reminder_plan.py"

# The world both reminder benchmarks start from: one supplier, N residents, each with an account,
# a hot-water meter on it and the account linked (bench/reminder_delivery.py uses it too).
WORLD = [
    """INSERT INTO suppliers (id, code, name, timezone, window_rule, account_pattern, services)
       VALUES (1, 'kte', 'Київтеплоенерго', 'Europe/Kyiv', '5..-1', '\\d{10}', 'hot_water')""",
    """INSERT INTO residents (id, name, created_at)
       SELECT g, 'Resident ' || g, now() FROM generate_series(1, $1::bigint) g""",
    """INSERT INTO accounts (id, supplier_id, number, holder, address, district)
       SELECT g, 1, lpad(g::text, 10, '0'), 'Шевченко Олена', 'Київ, вул. Хрещатик, ' || g, ''
       FROM generate_series(1, $1::bigint) g""",
    """INSERT INTO meters (id, account_id, account_number, supplier_id, service, serial,
                           registers, digits, decimals, verification_due, status)
       SELECT g, g, lpad(g::text, 10, '0'), 1, 'hot_water', 'HW' || lpad(g::text, 9, '0'),
              'T1', 5, 3, DATE '2030-01-01', 'active'
       FROM generate_series(1, $1::bigint) g""",
    """INSERT INTO account_links (resident_id, account_id, proof, linked_at)
       SELECT g, g, 'serial', now() FROM generate_series(1, $1::bigint) g""",
]
SEED = [
    *WORLD,
    "INSERT INTO reminder_rules (id, supplier_id, kind) VALUES (1, 1, 'opens')",
    """INSERT INTO resident_profiles (resident_id, language, reminder_channel,
                                      reminder_consent_at, contact)
       SELECT g, 'uk', (ARRAY['email', 'sms', 'telegram', 'viber'])[g % 4 + 1], now(),
              CASE g % 4 WHEN 0 THEN 'r' || g || '@example.com' WHEN 1 THEN '+38050' || g
                         ELSE '' END
       FROM generate_series(1, $1::bigint) g""",
    """INSERT INTO identities (channel, external_id, resident_id, language, reminders,
                               created_at)
       SELECT CASE g % 4 WHEN 2 THEN 'telegram' ELSE 'viber' END, g::text, g, 'uk', true, now()
       FROM generate_series(1, $1::bigint) g WHERE g % 4 IN (2, 3)""",
    f"""INSERT INTO readings (meter_id, register, period, value_milli, submitted_at, channel,
                             status)
       SELECT g, 'T1', {PERIOD}, 100000, now(), 'web', 'accepted'
       FROM generate_series(10, $1::bigint, 10) g""",
]
SEQUENCES = ["residents", "accounts", "meters", "reminder_rules", "suppliers"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Reminder planning: seconds and memory.")
    parser.add_argument("--residents", type=int, default=TARGET_RESIDENTS)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser.parse_args()


async def seed(db: Database, residents: int) -> float:
    import asyncpg

    started = time.perf_counter()
    conn = await asyncpg.connect(db.dsn)
    try:
        # Setup only: foreign-key triggers off while the world lands (ids are consistent).
        await conn.execute("SET session_replication_role = replica")
        for statement in SEED:
            await conn.execute(statement, *([residents] if "$1" in statement else []))
        for table in SEQUENCES:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def measure(db: Database) -> dict[str, Any]:
    engine = create_engine(db.url)
    storage = SqlStorage(engine)
    me = psutil.Process()
    try:
        count = select(func.count()).select_from(due_audience(1, PERIOD).order_by(None).subquery())
        async with engine.connect() as conn:
            await conn.execute(select(1))  # the connection made, outside the timings
            started = time.perf_counter()
            due = (await conn.execute(count)).scalar_one()
        reference = time.perf_counter() - started
        rss_before = me.memory_info().rss
        with PeakRss(me) as peak:
            started = time.perf_counter()
            async with storage(write=True) as tx:
                planned = await storage.reminder_book.plan_due(1, 1, PERIOD, SPAN)
                await tx.commit()
            seconds = time.perf_counter() - started
        rss_after = me.memory_info().rss
        started = time.perf_counter()
        async with storage(write=True) as tx:
            again = await storage.reminder_book.plan_due(1, 1, PERIOD, SPAN)
            await tx.commit()
        again_seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    return {
        "due": due,
        "reference_seconds": reference,
        "planned": planned,
        "seconds": seconds,
        "again_added": again,
        "again_seconds": again_seconds,
        "rss_before": rss_before,
        "rss_after": rss_after,
        "rss_peak": max(peak.value, rss_after),
        "max_rss_kernel": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def main() -> int:
    args = parse_args()
    with temporary_database("reminders", keep=args.keep_db) as db:
        komunalka(db, "db", "upgrade")
        seeded = asyncio.run(seed(db, args.residents))
        print(f"seeded {args.residents:,} residents in {seeded:.1f} s", flush=True)
        checkpoint(db)
        result = asyncio.run(measure(db))
        stored = sql(db, "SELECT count(*), min(send_at), max(send_at) FROM reminders")[0]
    expected = args.residents - args.residents // 10
    if not result["planned"] == result["due"] == stored[0] == expected or result["again_added"]:
        raise BenchError(f"planned {result['planned']}, due {result['due']}, stored {stored}")
    if not SPAN.start <= stored[1] <= stored[2] < SPAN.start + SPAN.seconds:
        raise BenchError(f"moments outside the span: {stored}")
    ratio = result["seconds"] / result["reference_seconds"]
    met = result["seconds"] <= TARGET_SECONDS if args.residents == TARGET_RESIDENTS else None
    result |= {"residents": args.residents, "seed_seconds": seeded, "ratio": ratio}
    result |= {"machine": machine(), "target_seconds": TARGET_SECONDS, "met": met}
    print(f"\nmachine: {result['machine']}")
    print(f"plan_due for {args.residents:,} residents, {result['planned']:,} due")
    print(f"  ours {result['seconds']:.2f} s ({result['planned'] / result['seconds']:,.0f} rows/s)")
    print(f"  reference SELECT count(*) {result['reference_seconds']:.2f} s; ratio {ratio:.1f}x")
    print(f"  planned again: {result['again_added']} added in {result['again_seconds']:.2f} s")
    print(
        f"  RSS before {mib(result['rss_before'])}, after {mib(result['rss_after'])}, "
        f"peak {mib(result['rss_peak'])} (kernel's peak {mib(result['max_rss_kernel'])})"
    )
    verdict = {True: "met", False: "MISSED", None: "n/a"}[met]
    print(f"  target {TARGET_SECONDS:.0f} s: {verdict}")
    print(
        f"\n| {args.residents:,} | {result['planned']:,} | {result['seconds']:.2f} s | "
        f"{result['reference_seconds']:.2f} s | {ratio:.1f}x | {result['again_seconds']:.2f} s | "
        f"{mib(result['rss_before'])} / {mib(result['rss_after'])} / "
        f"{mib(result['rss_peak'])} | {verdict} |"
    )
    save_json(args.json, result)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        sys.exit(1)
