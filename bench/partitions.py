"""Benchmark: readings in one table against readings partitioned by period (a month a
partition), with a year of data: the hot queries, the index sizes, and removing the oldest month
(ADR 0030 decides from these figures).

    .venv/bin/python bench/partitions.py [--per-month 200000] [--months 12] [--repeat 2000]

Data (setup, timed only for the record): a new database `bench_partitions_<pid>` with two tables
of readings' columns and indexes as migration 0022 leaves them, `plain` (primary key id) and
`parted` (PARTITION BY RANGE (period), a partition a month plus a DEFAULT one; its primary key
and receipt index must then hold `period` too). Both get the same `--months` x `--per-month`
rows (a reading of every meter each month, one register; four in five with a receipt and a
submission id), written with INSERT ... SELECT generate_series, indexes built after, ANALYZE.

Measured, the same prepared statements on both tables, interleaved, microseconds a query
(mean of `--repeat` random keys): the hot path's previous readings of a meter (pg_submissions.py,
postgres.py: `meter_id = $1 AND period >= $2 AND status = 'accepted'`) over 2 and over 12
months; a reading by id (the feed joins feed_items to readings by id, corrections by id); a
reading by receipt (`verify-receipt`, the receipts page); 500 readings by id at once (a feed
page), and the same with the period given; one single-row INSERT (a typed reading) in its own
transaction; a whole month read (the export). Then the indexes' total size, and the seconds to
remove the oldest month: DELETE (plus the VACUUM that makes the space reusable) against DETACH
and DROP. The reference is the plain table, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from pathlib import Path
from typing import Any

import asyncpg

from support import machine, markdown_row, mib, save_json, temporary_database

FIRST = 24300  # a period number (months since year 0), as the domain counts them
COLUMNS = """
    id bigint NOT NULL, meter_id bigint NOT NULL, register varchar(20) NOT NULL,
    period integer NOT NULL, value_milli bigint NOT NULL, submitted_at timestamptz NOT NULL,
    channel varchar(20) NOT NULL, status varchar(12) NOT NULL, receipt varchar(20),
    submission_id bigint, release_at timestamptz
"""
SELECTED = "id, meter_id, register, period, value_milli, submitted_at, channel, status, receipt"


def schema(table: str, months: int) -> list[str]:
    parted = table == "parted"
    key = "id, period" if parted else "id"
    statements = [
        f"CREATE TABLE {table} ({COLUMNS}, PRIMARY KEY ({key}))"
        + (" PARTITION BY RANGE (period)" if parted else "")
    ]
    if parted:
        statements += [
            f"CREATE TABLE parted_{p} PARTITION OF parted FOR VALUES FROM ({p}) TO ({p + 1})"
            for p in range(FIRST, FIRST + months + 1)
        ] + ["CREATE TABLE parted_default PARTITION OF parted DEFAULT"]
    return statements


def indexes(table: str) -> list[str]:
    receipt = "receipt, period" if table == "parted" else "receipt"
    return [
        f"CREATE INDEX ix_{table}_superseded ON {table} (meter_id, period)"
        " WHERE status <> 'accepted'",
        f"CREATE UNIQUE INDEX uq_{table}_receipt ON {table} ({receipt}) WHERE receipt IS NOT NULL",
        f"CREATE INDEX ix_{table}_submission ON {table} (submission_id)"
        " WHERE submission_id IS NOT NULL",
        f"CREATE UNIQUE INDEX uq_{table}_accepted ON {table} (meter_id, register, period)"
        " WHERE status = 'accepted'",
    ]


FILL = """
    INSERT INTO {table}
    SELECT (p - {first}) * {n} + m, m, 'T1', p, m * 1000 + (p - {first}) * 150,
           timestamptz '2025-01-01' + (p - {first}) * interval '1 month' + m * interval '1 ms',
           'telegram', 'accepted',
           CASE WHEN m % 5 <> 0 THEN 'R' || ((p - {first}) * {n} + m) END,
           CASE WHEN m % 5 <> 0 THEN (p - {first}) * {n} + m END, NULL
    FROM generate_series({first}, {last}) p, generate_series(1, {n}) m
"""


async def build(conn: asyncpg.Connection, months: int, n: int) -> dict[str, float]:
    took = {}
    for table in ("plain", "parted"):
        for statement in schema(table, months):
            await conn.execute(statement)
        start = time.perf_counter()
        last = FIRST + months - 1
        await conn.execute(FILL.format(table=table, first=FIRST, last=last, n=n))
        for statement in indexes(table):
            await conn.execute(statement)
        await conn.execute(f"ANALYZE {table}")
        took[table] = time.perf_counter() - start
    await conn.execute("CHECKPOINT")
    return took


def queries(months: int) -> dict[str, tuple[str, str]]:
    """name: (SQL on {table}, which arguments it takes)."""
    last = FIRST + months - 1
    recent = (
        f"SELECT {SELECTED} FROM {{table}} WHERE meter_id = $1 AND period >= $2"
        " AND status = 'accepted' ORDER BY meter_id, register, period, id"
    )
    return {
        "previous readings, 2 months": (recent, f"meter,{last - 1}"),
        "previous readings, 12 months": (recent, f"meter,{FIRST}"),
        "one by id": (f"SELECT {SELECTED} FROM {{table}} WHERE id = $1", "id"),
        "one by receipt": (f"SELECT {SELECTED} FROM {{table}} WHERE receipt = $1", "receipt"),
        "500 by id (a feed page)": (
            f"SELECT {SELECTED} FROM {{table}} WHERE id = ANY($1::bigint[])",
            "ids",
        ),
        "500 by id and period": (
            f"SELECT {SELECTED} FROM {{table}} WHERE id = ANY($1::bigint[]) AND period = $2",
            f"ids,{last}",
        ),
    }


def arguments(kind: str, months: int, n: int, rng: random.Random) -> list[Any]:
    what, *fixed = kind.split(",")
    meter = rng.randint(1, n)
    month = rng.randrange(months)
    if what == "meter":
        head: list[Any] = [meter]
    elif what == "id":
        head = [month * n + meter]
    elif what == "receipt":
        head = [f"R{month * n + meter - (meter % 5 == 0)}"]
    else:
        head = [[(months - 1) * n + rng.randint(1, n) for _ in range(500)]]
    return head + [int(v) for v in fixed]


async def measure(conn: asyncpg.Connection, months: int, n: int, repeat: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, (query, kind) in queries(months).items():
        prepared = {t: await conn.prepare(query.format(table=t)) for t in ("plain", "parted")}
        times: dict[str, list[float]] = {"plain": [], "parted": []}
        rng = random.Random(7)
        count = repeat // 10 if kind.startswith("ids") else repeat
        for _ in range(count):
            args = arguments(kind, months, n, rng)
            for table in ("plain", "parted") if rng.random() < 0.5 else ("parted", "plain"):
                start = time.perf_counter()
                await prepared[table].fetch(*args)
                times[table].append(time.perf_counter() - start)
        results[name] = {t: statistics.mean(v) * 1e6 for t, v in times.items()}
    results["one INSERT, own transaction"] = await inserts(conn, months, n, repeat)
    results["a whole month read (export)"] = await month_read(conn, months)
    return results


async def inserts(conn: asyncpg.Connection, months: int, n: int, repeat: int) -> dict[str, float]:
    period = FIRST + months - 1
    times: dict[str, list[float]] = {"plain": [], "parted": []}
    statements = {
        table: await conn.prepare(
            f"INSERT INTO {table} VALUES ($1, $2, 'T1', $3, 1, now(), 'telegram', 'accepted',"
            " $4, $1, NULL)"
        )
        for table in ("plain", "parted")
    }
    for i in range(repeat):
        key = months * n + i + 1
        for table in ("plain", "parted") if i % 2 else ("parted", "plain"):
            start = time.perf_counter()
            await statements[table].fetch(key, n + i + 1, period, f"N{key}")
            times[table].append(time.perf_counter() - start)
    return {t: statistics.mean(v) * 1e6 for t, v in times.items()}


async def month_read(conn: asyncpg.Connection, months: int) -> dict[str, float]:
    period, took = FIRST + months // 2, {}
    for table in ("plain", "parted", "plain", "parted"):  # the second round counts
        start = time.perf_counter()
        await conn.fetch(
            f"SELECT count(*), sum(value_milli) FROM {table} WHERE period = $1", period
        )
        took[table] = (time.perf_counter() - start) * 1e6
    return took


async def sizes(conn: asyncpg.Connection) -> dict[str, int]:
    tree = "SELECT relid FROM pg_partition_tree('parted')"
    return {
        "plain": await conn.fetchval("SELECT pg_indexes_size('plain')"),
        "parted": await conn.fetchval(
            f"SELECT sum(pg_indexes_size(relid))::bigint FROM ({tree}) t"
        ),
        "plain (table)": await conn.fetchval("SELECT pg_table_size('plain')"),
        "parted (table)": await conn.fetchval(
            f"SELECT sum(pg_table_size(relid))::bigint FROM ({tree}) t"
        ),
    }


SUBMISSIONS = """
    CREATE TABLE submissions (
        id bigint PRIMARY KEY, actor_key varchar(60) NOT NULL, client_key varchar(100),
        fingerprint varchar(64) NOT NULL, channel varchar(20) NOT NULL,
        created_at timestamptz NOT NULL);
    INSERT INTO submissions
    SELECT submission_id, 'resident:' || meter_id, 'k' || submission_id, md5(receipt), channel,
           submitted_at
    FROM plain WHERE submission_id IS NOT NULL;
    CREATE UNIQUE INDEX uq_submissions ON submissions (actor_key, client_key);
    ANALYZE submissions;
"""


async def submissions(conn: asyncpg.Connection, months: int, n: int, repeat: int) -> dict[str, Any]:
    """What one table of submissions (a submission a reading with a receipt) weighs, and its hot
    lookup, the repeat check by (actor_key, client_key)."""
    await conn.execute(SUBMISSIONS)
    lookup = await conn.prepare(
        "SELECT id, fingerprint FROM submissions WHERE actor_key = $1 AND client_key = $2"
    )
    rng, times = random.Random(7), []
    for _ in range(repeat):
        meter, month = rng.randint(1, n - 1) // 5 * 5 + 1, rng.randrange(months)
        start = time.perf_counter()
        await lookup.fetch(f"resident:{meter}", f"k{month * n + meter}")
        times.append(time.perf_counter() - start)
    return {
        "rows": await conn.fetchval("SELECT count(*) FROM submissions"),
        "table_bytes": await conn.fetchval("SELECT pg_table_size('submissions')"),
        "index_bytes": await conn.fetchval("SELECT pg_indexes_size('submissions')"),
        "repeat_check_us": statistics.mean(times) * 1e6,
    }


async def drop_oldest(conn: asyncpg.Connection) -> dict[str, float]:
    start = time.perf_counter()
    await conn.execute("DELETE FROM plain WHERE period = $1", FIRST)
    deleted = time.perf_counter() - start
    await conn.execute("VACUUM plain")
    vacuumed = time.perf_counter() - start
    start = time.perf_counter()
    await conn.execute(f"ALTER TABLE parted DETACH PARTITION parted_{FIRST}")
    await conn.execute(f"DROP TABLE parted_{FIRST}")
    return {"plain DELETE": deleted, "plain DELETE + VACUUM": vacuumed,
            "parted DETACH + DROP": time.perf_counter() - start}  # fmt: skip


async def run(dsn: str, months: int, n: int, repeat: int) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        built = await build(conn, months, n)
        result = {"rows": months * n, "built_s": built}
        result["queries_us"] = await measure(conn, months, n, repeat)
        result["index_bytes"] = await sizes(conn)
        result["submissions"] = await submissions(conn, months, n, repeat)
        result["oldest_month_s"] = await drop_oldest(conn)
        return result
    finally:
        await conn.close()


def report(result: dict[str, Any]) -> None:
    print(f"\n{result['rows']:,} readings a table; {machine()}\n")
    print(markdown_row("query", "plain, µs", "partitioned, µs", "partitioned / plain"))
    print(markdown_row("---", "---:", "---:", "---:"))
    for name, t in result["queries_us"].items():
        ratio = t["parted"] / t["plain"]
        print(markdown_row(name, f"{t['plain']:,.0f}", f"{t['parted']:,.0f}", f"{ratio:.2f}"))
    s = result["index_bytes"]
    print(f"\nindexes: plain {mib(s['plain'])}, partitioned {mib(s['parted'])}; tables:"
          f" plain {mib(s['plain (table)'])}, partitioned {mib(s['parted (table)'])}")  # fmt: skip
    sub = result["submissions"]
    print(f"submissions: {sub['rows']:,} rows, table {mib(sub['table_bytes'])}, indexes"
          f" {mib(sub['index_bytes'])}, repeat check {sub['repeat_check_us']:.0f} µs")  # fmt: skip
    for name, seconds in result["oldest_month_s"].items():
        print(f"oldest month, {name}: {seconds:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-month", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    with temporary_database("partitions") as db:
        result = asyncio.run(run(db.dsn, args.months, args.per_month, args.repeat))
    report(result)
    save_json(args.json, result)


if __name__ == "__main__":
    main()
