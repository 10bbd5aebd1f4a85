"""Benchmark: `komunalka import-registry` of N meters into PostgreSQL, every row validated,
against PostgreSQL's own COPY of the same rows measured in the same run.

    .venv/bin/python bench/import_registry.py [--rows 1000000] [--no-half]

The file: N valid rows of supplier kte (two single-register meters per account, hot water and
heat, each with a reading for 2026-10). The command runs as the installed `komunalka` script does
(bench/timed_cli.py), once for a file of N rows and once for the first N/2 rows, each into a new
database prepared with `komunalka db upgrade` and `komunalka demo` (for the suppliers). Reported:
wall seconds (and how much of it is interpreter start-up and imports), peak RSS sampled every
10 ms with psutil, and the rows that landed. Memory is flat when the peak for N is about the peak
for N/2. The reference (issue 14, item 3): binary COPY of exactly the rows the import writes
(accounts, meters, readings, ids given, asyncpg `copy_records_to_table`, a transaction per
chunk of 50,000 rows as the import commits) into a second database upgraded the same way, so
with the schema's foreign keys and indexes: the floor for writing these rows at all. The rows
are built from the file before the clock starts; only the COPY statements are timed. Also
printed: asyncpg `copy_to_table` of the same CSV into a plain table of text columns (no
parsing, no checks, no indexes), the floor for moving the bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from komunalka.adapters.db.registry_copy import ACCOUNT_COLUMNS, METER_COLUMNS, READING_COLUMNS
from support import (
    REGISTRY_COLUMNS,
    TABLE_HEADER,
    BackendCpu,
    BenchError,
    CommandRun,
    Database,
    checkpoint,
    machine,
    markdown_row,
    mib,
    prepare_schema,
    save_json,
    scalar,
    temporary_database,
    timed_komunalka,
    write_registry,
)

TARGET_RATIO = 1.5  # ours at most 1.5 x the COPY floor
TARGET_ROWS = 1_000_000
CHUNK = 50_000  # rows per COPY transaction in the floor, as the import's chunks
SERIAL_PREFIX = "BR"
PERIOD = "2026-10"
COMMAND = ".venv/bin/python bench/import_registry.py"
FLAT = 1.2  # peak RSS for N rows over peak for N/2 below this: flat


def verdict(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: f"n/a (it is for {TARGET_ROWS:,} rows)"}[met]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Registry import: seconds and peak RSS.")
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--no-half", action="store_true", help="skip the N/2 run (no memory-flatness check)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.rows < 2:
        parser.error("--rows must be at least 2")
    return args


def import_once(path: Path, rows: int, label: str, keep: bool, workdir: Path) -> CommandRun:
    with temporary_database(f"import_{label}", keep=keep) as db:
        prepare_schema(db)
        checkpoint(db)
        rejected = workdir / f"rejected-{label}.csv"
        run = timed_komunalka(db, "import-registry", str(path), "--report", str(rejected))
        landed = count_landed(db)
    if landed != (rows, rows):
        raise BenchError(f"{label}: meters and readings {landed} landed of {rows} rows")
    bad = rejected.read_text().splitlines()[1:]
    if bad:
        raise BenchError(f"{label}: {len(bad)} rows rejected, e.g. {bad[0]}")
    print(
        f"  ours, {rows:>9,} rows: {run.wall:6.2f} s (start-up {run.startup:.2f} s, "
        f"command {run.command:.2f} s), peak RSS {mib(run.peak_rss)} "
        f"(after imports {mib(run.rss_after_import)}, kernel's peak {mib(run.max_rss)}); "
        f"CPU: the process {run.cpu:.2f} s, PostgreSQL {run.db_cpu:.2f} s",
        flush=True,
    )
    return run


def count_landed(db: Database) -> tuple[int, int]:
    pattern = f"{SERIAL_PREFIX}%"
    meters = scalar(db, "SELECT count(*) FROM meters WHERE serial LIKE $1", pattern)
    readings = scalar(
        db,
        "SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter_id "
        "WHERE m.serial LIKE $1 AND r.channel = 'registry'",
        pattern,
    )
    return int(meters), int(readings)


async def copy_reference(db: Database, path: Path) -> float:
    columns = ", ".join(f'"{c}" text' for c in REGISTRY_COLUMNS)
    conn = await asyncpg.connect(db.dsn)
    try:
        await conn.execute(f"CREATE TABLE registry_copy ({columns})")
        start = time.perf_counter()
        await conn.copy_to_table("registry_copy", source=path, format="csv", header=True)
        return time.perf_counter() - start
    finally:
        await conn.close()


def reference(path: Path, rows: int, keep: bool) -> float:
    with temporary_database("import_ref", keep=keep) as db:
        checkpoint(db)
        seconds = asyncio.run(copy_reference(db, path))
        copied = scalar(db, "SELECT count(*) FROM registry_copy")
    if copied != rows:
        raise BenchError(f"reference COPY: {copied} rows of {rows}")
    print(f"  plain COPY of the CSV, {rows:>9,} rows: {seconds:6.2f} s", flush=True)
    return seconds


Records = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]


def floor_chunks(
    path: Path, supplier_id: int, ids: tuple[int, int], at: datetime
) -> Iterator[Records]:
    """The file's rows as the import writes them, CHUNK rows at a time: (accounts, meters,
    readings) records with ids given, the last row of an account winning."""
    account_id, meter_id = ids
    with path.open(newline="", encoding="utf-8") as src:
        reader = csv.DictReader(src)
        while batch := list(itertools.islice(reader, CHUNK)):
            accounts: dict[str, tuple[Any, ...]] = {}
            meters: list[tuple[Any, ...]] = []
            readings: list[tuple[Any, ...]] = []
            for row in batch:
                number = row["account"]
                known = accounts.get(number)
                this_id = known[0] if known else account_id + len(accounts)
                holder, address, district = row["holder"], row["address"], row["district"]
                accounts[number] = (this_id, supplier_id, number, holder, address, district)
                meters.append(
                    (
                        meter_id,
                        this_id,
                        number,
                        supplier_id,
                        row["service"],
                        row["serial"],
                        row["registers"],
                        int(row["digits"]),
                        int(row["decimals"]),
                        date.fromisoformat(row["verification_due"]),
                        row["status"],
                        1,  # registry_import_id
                        False,  # water_heater
                    )
                )
                year, month = map(int, row["period"].split("-"))
                milli = int(Decimal(row["values"]) * 1000)
                period = year * 12 + month - 1
                readings.append(
                    (meter_id, row["registers"], period, milli, at, "registry", "accepted")
                )
                meter_id += 1
            account_id += len(accounts)
            yield list(accounts.values()), meters, readings


async def copy_floor(db: Database, path: Path) -> tuple[float, float]:
    """Seconds of binary COPY of the file's accounts, meters and readings into `db`, and this
    process's CPU seconds meanwhile (asyncpg encoding the records)."""
    conn = await asyncpg.connect(db.dsn)
    try:
        supplier_id = await conn.fetchval("SELECT id FROM suppliers WHERE code = 'kte'")
        first_ids = (
            await conn.fetchval("SELECT coalesce(max(id), 0) + 1 FROM accounts"),
            await conn.fetchval("SELECT coalesce(max(id), 0) + 1 FROM meters"),
        )
        at = datetime(2026, 11, 20, 10, tzinfo=UTC)
        seconds = cpu = 0.0
        for accounts, meters, readings in floor_chunks(path, supplier_id, first_ids, at):
            start, start_cpu = time.perf_counter(), time.process_time()
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "accounts", records=accounts, columns=ACCOUNT_COLUMNS
                )
                await conn.copy_records_to_table("meters", records=meters, columns=METER_COLUMNS)
                await conn.copy_records_to_table(
                    "readings", records=readings, columns=READING_COLUMNS
                )
            seconds += time.perf_counter() - start
            cpu += time.process_time() - start_cpu
        return seconds, cpu
    finally:
        await conn.close()


def floor(path: Path, rows: int, keep: bool) -> float:
    with temporary_database("import_floor", keep=keep) as db:
        prepare_schema(db)
        checkpoint(db)
        with BackendCpu(db) as backend:
            seconds, cpu = asyncio.run(copy_floor(db, path))
        landed = count_landed(db)
    if landed != (rows, rows):
        raise BenchError(f"COPY floor: meters and readings {landed} of {rows} rows")
    print(
        f"  COPY floor (keys, indexes), {rows:>9,} rows: {seconds:6.2f} s; CPU: encoding "
        f"{cpu:.2f} s, PostgreSQL {backend.value:.2f} s",
        flush=True,
    )
    return seconds


def report(
    rows: int, full: CommandRun, half: CommandRun | None, ref: float, plain: float
) -> dict[str, Any]:
    ratio = full.wall / ref
    growth = full.peak_rss / half.peak_rss if half else None
    flat = growth is not None and growth < FLAT
    met = ratio <= TARGET_RATIO and flat if rows == TARGET_ROWS else None
    print(f"\nmachine: {machine()}")
    print(f"registry import of {rows:,} new rows (every row validated) into PostgreSQL")
    print(
        f"  ours {full.wall:.2f} s (the command alone {full.command:.2f} s), "
        f"{rows / full.wall:,.0f} rows/s; COPY floor {ref:.2f} s; plain COPY {plain:.2f} s"
    )
    print(f"  ours/floor {ratio:.2f} (target <= {TARGET_RATIO}): {verdict(met)}")
    if half is not None and growth is not None:
        print(
            f"  peak RSS {mib(full.peak_rss)} for {rows:,} rows vs {mib(half.peak_rss)} for "
            f"{rows // 2:,}: x{growth:.2f}; memory flat (< x{FLAT}): {'yes' if flat else 'NO'}"
        )
    row = markdown_row(
        f"registry import, {rows:,} new rows (PostgreSQL)",
        f"{full.wall:.1f} s (start-up {full.startup:.1f} s), peak RSS {mib(full.peak_rss)}",
        f"binary COPY of the same rows with keys and indexes: {ref:.1f} s",
        f"{ratio:.2f}x",
        f"<= {TARGET_RATIO} x the floor, flat memory",
        {True: "yes", False: "**no**", None: "n/a (other size)"}[met],
        f"`{COMMAND}" + (f" --rows {rows}`" if rows != TARGET_ROWS else "`"),
    )
    print(f"\n{TABLE_HEADER}\n{row}")
    return {
        "rows": rows,
        "seconds": full.wall,
        "command_seconds": full.command,
        "peak_rss": full.peak_rss,
        "half_peak_rss": half.peak_rss if half else None,
        "floor_seconds": ref,
        "plain_copy_seconds": plain,
        "ratio": ratio,
        "target_ratio": TARGET_RATIO,
        "met": met,
    }


def main() -> None:
    args = parse_args()
    rows, half_rows = args.rows, args.rows // 2
    with tempfile.TemporaryDirectory(prefix="komunalka-bench-") as tmp:
        workdir = Path(tmp)
        full_file, half_file = workdir / "registry-full.csv", workdir / "registry-half.csv"
        start = time.perf_counter()
        for path, count in ((full_file, rows), (half_file, half_rows)):
            if path is half_file and args.no_half:
                continue
            write_registry(
                path, count, account_base=5_000_000_000, serial_prefix=SERIAL_PREFIX, period=PERIOD
            )
        size = full_file.stat().st_size
        print(f"files written in {time.perf_counter() - start:.1f} s ({mib(size)} for {rows:,})")
        half = None
        if not args.no_half:
            half = import_once(half_file, half_rows, "half", args.keep_db, workdir)
        full = import_once(full_file, rows, "full", args.keep_db, workdir)
        ref = floor(full_file, rows, args.keep_db)
        plain = reference(full_file, rows, args.keep_db)
    save_json(args.json, report(rows, full, half, ref, plain))


if __name__ == "__main__":
    try:
        main()
    except BenchError as exc:
        sys.exit(f"benchmark failed: {exc}")
