"""Benchmark: `komunalka export` of N readings of one supplier and period (CSV, streamed) from
PostgreSQL, against `COPY (SELECT ...) TO STDOUT` of the same rows measured in the same run.

    .venv/bin/python bench/export_readings.py [--rows 1000000]

Data (setup, not measured): a new database `bench_export_<pid>` with `komunalka db upgrade` and
`komunalka demo` (the suppliers), then plain SQL INSERT ... SELECT generate_series: N/2 accounts
of supplier kte with two single-register meters each, a reading of every meter for period
2024-03 and of the first N/2 meters for 2024-02. Then ANALYZE and CHECKPOINT.

Ours: the command exactly as the installed script runs it (bench/timed_cli.py), to a file, for
2024-03 (N rows) and 2024-02 (N/2 rows): wall seconds (and how much of it is interpreter start-up
and imports), peak RSS sampled every 10 ms with psutil. The reference: asyncpg
`copy_from_query`, i.e. COPY (SELECT ...) TO STDOUT, of the same SELECT (the same joins, value
rounding and timestamp formatting) into a file, in this process. The reference runs once untimed
first, so that both find the rows in the cache.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

from support import (
    BenchError,
    CommandRun,
    Database,
    checkpoint,
    machine,
    mib,
    prepare_schema,
    save_json,
    scalar,
    size_run_report,
    sql,
    temporary_database,
    timed_komunalka,
)

TARGET_SECONDS = 2.0
TARGET_ROWS = 1_000_000
FLAT = 1.2  # peak RSS for N rows over peak for N/2 below this: flat
FULL_PERIOD, HALF_PERIOD = "2024-03", "2024-02"
SERIAL_PREFIX = "BX"
COMMAND = ".venv/bin/python bench/export_readings.py"

ACCOUNTS = """
    INSERT INTO accounts (supplier_id, number, holder, address, district)
    SELECT $1, (6000000000 + g)::text, 'Шевченко Олена Іванівна',
           'Київ, вул. Хрещатик, ' || (g % 200 + 1) || ', кв. ' || (g % 300 + 1), 'Печерський'
    FROM generate_series(1, $2::int) g
"""
METERS = """
    INSERT INTO meters (account_id, account_number, supplier_id, service, serial, registers,
                        digits, decimals, verification_due, status)
    SELECT a.id, a.number, $1, CASE WHEN g % 2 = 1 THEN 'hot_water' ELSE 'heat' END,
           $3 || lpad(g::text, 9, '0'), 'T1', 5, 3, DATE '2031-01-01', 'active'
    FROM generate_series(1, $2::int) g
    JOIN accounts a ON a.supplier_id = $1 AND a.number = (6000000000 + (g + 1) / 2)::text
"""
READINGS = """
    INSERT INTO readings (meter_id, register, period, value_milli, submitted_at, channel, status,
                          receipt)
    SELECT m.id, 'T1', $1::int, 1000000 + (m.id % 50000) * 7,
           timestamptz '2024-03-06 09:00:00+00' + (m.id % 5000) * interval '1 minute',
           (ARRAY['api', 'telegram', 'web', 'viber'])[m.id % 4 + 1], 'accepted',
           'BX' || $1::int || '-' || m.id
    FROM meters m WHERE m.serial LIKE 'BX%' AND m.serial <= $2
"""
# The same rows and text as komunalka's export, written here so the reference stands alone.
# asyncpg's copy_from_query runs it as COPY (...) TO STDOUT WITH (FORMAT csv).
REFERENCE = """
    SELECT m.account_number, m.serial, m.service, r.register, $3::text,
           round(r.value_milli::numeric / 1000, m.decimals),
           date_trunc('second', r.submitted_at AT TIME ZONE 'UTC'),
           r.channel, r.receipt
    FROM readings r
    JOIN meters m ON m.id = r.meter_id
    WHERE m.supplier_id = $1 AND r.period = $2 AND r.status = 'accepted'
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="CSV export: seconds and peak RSS.")
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.rows < 2:
        parser.error("--rows must be at least 2")
    return args


def period_index(period: str) -> int:
    year, month = (int(part) for part in period.split("-"))
    return year * 12 + month - 1


def verdict(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: f"n/a (it is for {TARGET_ROWS:,} rows)"}[met]


def prepare(db: Database, rows: int) -> int:
    """The data; the supplier's id."""
    prepare_schema(db)
    supplier = scalar(db, "SELECT id FROM suppliers WHERE code = 'kte'")
    start = time.perf_counter()
    sql(db, ACCOUNTS, supplier, (rows + 1) // 2)
    sql(db, METERS, supplier, rows, SERIAL_PREFIX)
    last = f"{SERIAL_PREFIX}{rows:09d}"
    sql(db, READINGS, period_index(FULL_PERIOD), last)
    sql(db, READINGS, period_index(HALF_PERIOD), f"{SERIAL_PREFIX}{rows // 2:09d}")
    sql(db, "VACUUM ANALYZE")
    checkpoint(db)
    print(f"data inserted in {time.perf_counter() - start:.1f} s", flush=True)
    return int(supplier)


def export_once(db: Database, period: str, rows: int, out: Path) -> CommandRun:
    run = timed_komunalka(db, "export", "--supplier", "kte", "--period", period, "-o", str(out))
    with out.open("rb") as lines:
        written = sum(1 for _ in lines) - 1  # the header
    if written != rows:
        raise BenchError(f"export of {period}: {written} rows written, {rows} expected")
    print(
        f"  ours, {rows:>9,} rows: {run.wall:6.2f} s (start-up {run.startup:.2f} s, "
        f"command {run.command:.2f} s), peak RSS {mib(run.peak_rss)} "
        f"(after imports {mib(run.rss_after_import)}, kernel's peak {mib(run.max_rss)}), "
        f"{mib(out.stat().st_size)} written",
        flush=True,
    )
    return run


async def copy_reference(db: Database, supplier: int, period: str, out: Path) -> float:
    conn = await asyncpg.connect(db.dsn)
    try:
        await conn.execute("SET work_mem = '64MB'")  # as komunalka's export sets it
        start = time.perf_counter()
        await conn.copy_from_query(
            REFERENCE, supplier, period_index(period), period, output=out, format="csv"
        )
        return time.perf_counter() - start
    finally:
        await conn.close()


def reference(db: Database, supplier: int, rows: int, out: Path) -> float:
    asyncio.run(copy_reference(db, supplier, FULL_PERIOD, out))  # untimed: warms the cache
    seconds = asyncio.run(copy_reference(db, supplier, FULL_PERIOD, out))
    with out.open("rb") as lines:
        written = sum(1 for _ in lines)
    if written != rows:
        raise BenchError(f"reference COPY: {written} rows written, {rows} expected")
    print(f"  reference COPY TO STDOUT, {rows:>9,} rows: {seconds:6.2f} s", flush=True)
    return seconds


def compare_outputs(ours: Path, ref: Path) -> None:
    """Ours is a header line and then what the reference wrote: say so when the sizes differ."""
    with ours.open("rb") as lines:
        header = len(lines.readline())
    ours_size, ref_size = ours.stat().st_size - header, ref.stat().st_size
    if ours_size != ref_size:
        print(f"  note: ours wrote {ours_size} bytes of rows, the reference {ref_size}")


def report(rows: int, full: CommandRun, half: CommandRun, ref: float) -> dict[str, Any]:
    # The target is the export's: the command's own work, after the interpreter has started and
    # imported its modules (reported beside it as start-up).
    ratio = full.command / ref
    growth = full.peak_rss / half.peak_rss
    flat = growth < FLAT
    met = full.command <= TARGET_SECONDS and flat if rows == TARGET_ROWS else None
    print(f"\nmachine: {machine()}")
    print(f"CSV export of {rows:,} readings of one supplier and period from PostgreSQL")
    print(
        f"  ours {full.command:.2f} s ({rows / full.command:,.0f} rows/s), {full.wall:.2f} s with "
        f"start-up {full.startup:.2f} s; reference COPY {ref:.2f} s"
    )
    print(f"  time ratio ours/reference {ratio:.1f}x")
    print(
        f"  peak RSS {mib(full.peak_rss)} for {rows:,} rows vs {mib(half.peak_rss)} for "
        f"{rows // 2:,}: x{growth:.2f} for twice the rows; flat: {'yes' if flat else 'NO'}"
    )
    print(
        f"  target <= {TARGET_SECONDS:.0f} s for {TARGET_ROWS:,} rows (the export, without "
        f"start-up): {verdict(met)}"
    )
    return size_run_report(
        f"CSV export, {rows:,} readings (PostgreSQL)",
        rows,
        full,
        half,
        f"COPY (SELECT ...) TO STDOUT into a file: {ref:.1f} s",
        ref,
        ratio,
        growth,
        met,
        (TARGET_SECONDS, TARGET_ROWS),
        COMMAND,
    )


def main() -> None:
    args = parse_args()
    rows = args.rows
    with (
        tempfile.TemporaryDirectory(prefix="komunalka-bench-") as tmp,
        temporary_database("export", keep=args.keep_db) as db,
    ):
        workdir = Path(tmp)
        supplier = prepare(db, rows)
        ref = reference(db, supplier, rows, workdir / "reference.csv")
        full = export_once(db, FULL_PERIOD, rows, workdir / "full.csv")
        half = export_once(db, HALF_PERIOD, rows // 2, workdir / "half.csv")
        compare_outputs(workdir / "full.csv", workdir / "reference.csv")
    save_json(args.json, report(rows, full, half, ref))


if __name__ == "__main__":
    try:
        main()
    except BenchError as exc:
        sys.exit(f"benchmark failed: {exc}")
