"""Benchmark: `komunalka import-registry` of N meters into PostgreSQL, every row validated,
against PostgreSQL's own COPY of the same file measured in the same run.

    .venv/bin/python bench/import_registry.py [--rows 1000000]

The file: N valid rows of supplier kte (two single-register meters per account, hot water and
heat, each with a reading for 2026-10). The command runs as the installed `komunalka` script does
(bench/timed_cli.py), once for a file of N rows and once for the first N/2 rows, each into a new
database prepared with `komunalka db upgrade` and `komunalka demo` (for the suppliers). Reported:
wall seconds (and how much of it is interpreter start-up and imports), peak RSS sampled every
10 ms with psutil, and the rows that landed. Memory is flat when the peak for N is about the peak
for N/2. The reference: asyncpg `copy_to_table` of the same CSV into a plain table of text
columns (no parsing, no checks, no indexes) — the floor for moving these bytes into PostgreSQL.
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
    REGISTRY_COLUMNS,
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
    temporary_database,
    timed_komunalka,
    write_registry,
)

TARGET_SECONDS = 15.0
TARGET_ROWS = 1_000_000
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
        f"(after imports {mib(run.rss_after_import)}, kernel's peak {mib(run.max_rss)})",
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
    print(f"  reference COPY, {rows:>9,} rows: {seconds:6.2f} s", flush=True)
    return seconds


def report(rows: int, full: CommandRun, half: CommandRun, ref: float) -> dict[str, Any]:
    ratio = full.wall / ref
    growth = full.peak_rss / half.peak_rss
    flat = growth < FLAT
    met = full.wall <= TARGET_SECONDS and flat if rows == TARGET_ROWS else None
    print(f"\nmachine: {machine()}")
    print(f"registry import of {rows:,} rows (every row validated) into PostgreSQL")
    print(f"  ours {full.wall:.2f} s, {rows / full.wall:,.0f} rows/s; reference COPY {ref:.2f} s")
    print(f"  time ratio ours/reference {ratio:.1f}x")
    print(
        f"  peak RSS {mib(full.peak_rss)} for {rows:,} rows vs {mib(half.peak_rss)} for "
        f"{rows // 2:,}: x{growth:.2f} for twice the rows"
    )
    print(f"  memory flat (x{growth:.2f} < x{FLAT}): {'yes' if flat else 'NO'}")
    print(
        f"  target <= {TARGET_SECONDS:.0f} s for {TARGET_ROWS:,} rows: {verdict(met)} "
        f"(the command alone: {full.command:.2f} s)"
    )
    return size_run_report(
        f"registry import, {rows:,} rows (PostgreSQL)",
        rows,
        full,
        half,
        f"COPY into a plain table: {ref:.1f} s",
        ref,
        ratio,
        growth,
        met,
        (TARGET_SECONDS, TARGET_ROWS),
        COMMAND,
    )


def main() -> None:
    args = parse_args()
    rows, half_rows = args.rows, args.rows // 2
    with tempfile.TemporaryDirectory(prefix="komunalka-bench-") as tmp:
        workdir = Path(tmp)
        full_file, half_file = workdir / "registry-full.csv", workdir / "registry-half.csv"
        start = time.perf_counter()
        for path, count in ((full_file, rows), (half_file, half_rows)):
            write_registry(
                path, count, account_base=5_000_000_000, serial_prefix=SERIAL_PREFIX, period=PERIOD
            )
        size = full_file.stat().st_size
        print(f"files written in {time.perf_counter() - start:.1f} s ({mib(size)} for {rows:,})")
        half = import_once(half_file, half_rows, "half", args.keep_db, workdir)
        full = import_once(full_file, rows, "full", args.keep_db, workdir)
        ref = reference(full_file, rows, args.keep_db)
    save_json(args.json, report(rows, full, half, ref))


if __name__ == "__main__":
    try:
        main()
    except BenchError as exc:
        sys.exit(f"benchmark failed: {exc}")
