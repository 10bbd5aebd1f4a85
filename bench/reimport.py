"""Benchmark: the monthly re-import. `komunalka import-registry` of a registry of N meters that all
exist already, 10 % of its rows changed, against the first import of the same registry measured
in the same run (issue 14, item 2; ADR 0022).

    .venv/bin/python bench/reimport.py [--rows 1000000] [--changed 0.1]

One database (`komunalka db upgrade`, `komunalka demo` for the suppliers). First: the registry
of N rows (bench/support.py `write_registry`: supplier kte, two single-register meters per
account, a reading for 2026-10 each) imported into it, timed: the reference. Then the same
registry with every 1/changed-th row changed, in turn in one of three fields (a reading for a
new period 2026-11; the verification date; the meter's digits), imported again, timed: ours.
Checked after it: exactly the changed meters moved their revision, exactly the new readings were
added, the command reported the rest unchanged. Reported: seconds and peak RSS of both, the
ratio, and the re-import's projection to 1,000,000 rows (linear in the rows).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from support import (
    REGISTRY_COLUMNS,
    BenchError,
    CommandRun,
    checkpoint,
    machine,
    mib,
    prepare_schema,
    save_json,
    scalar,
    sql,
    temporary_database,
    timed_komunalka,
    write_registry,
)

TARGET_SECONDS = 25.0
TARGET_ROWS = 1_000_000
SERIAL_PREFIX = "RI"
PERIOD = "2026-10"
NEXT_PERIOD = "2026-11"
COMMAND = ".venv/bin/python bench/reimport.py"
_UNCHANGED = re.compile(r"Unchanged rows \(nothing written\): (\d+)\.")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Monthly re-import: seconds and peak RSS.")
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--changed", type=float, default=0.1, help="share of rows changed")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.rows < 10:
        parser.error("--rows must be at least 10")
    if not 0 < args.changed <= 1:
        parser.error("--changed must be in (0, 1]")
    return args


def write_changed(source: Path, target: Path, every: int) -> tuple[int, int]:
    """`source` with every `every`-th row changed in one field, in turn: a reading for the next
    period, the verification date, the digits. (rows changed, readings of them new)."""
    column = {name: i for i, name in enumerate(REGISTRY_COLUMNS)}
    changed = new_readings = 0
    with (
        source.open(newline="", encoding="utf-8") as src,
        target.open("w", newline="", encoding="utf-8") as out,
    ):
        reader, writer = csv.reader(src), csv.writer(out, lineterminator="\n")
        writer.writerow(next(reader))
        for i, row in enumerate(reader):
            if i % every == 0:
                kind = (i // every) % 3
                if kind == 0:
                    row[column["period"]] = NEXT_PERIOD
                    new_readings += 1
                elif kind == 1:
                    row[column["verification_due"]] = "2032-06-30"
                else:
                    row[column["digits"]] = "6"
                changed += 1
            writer.writerow(row)
    return changed, new_readings


def timed_import(db: Any, path: Path, label: str, workdir: Path) -> CommandRun:
    rejected = workdir / f"rejected-{label}.csv"
    run = timed_komunalka(db, "import-registry", str(path), "--report", str(rejected))
    bad = rejected.read_text().splitlines()[1:]
    if bad:
        raise BenchError(f"{label}: {len(bad)} rows rejected, e.g. {bad[0]}")
    print(
        f"  {label}: {run.wall:6.2f} s (start-up {run.startup:.2f} s, command "
        f"{run.command:.2f} s), peak RSS {mib(run.peak_rss)} (kernel's {mib(run.max_rss)}); "
        f"CPU: the process {run.cpu:.2f} s, PostgreSQL {run.db_cpu:.2f} s",
        flush=True,
    )
    return run


def check(db: Any, rows: int, changed: int, new_readings: int, again: CommandRun) -> None:
    pattern = f"{SERIAL_PREFIX}%"
    moved = scalar(db, "SELECT count(*) FROM meters WHERE serial LIKE $1 AND revision > 0", pattern)
    readings = scalar(
        db,
        "SELECT count(*) FROM readings r JOIN meters m ON m.id = r.meter_id "
        "WHERE m.serial LIKE $1 AND r.channel = 'registry'",
        pattern,
    )
    found = _UNCHANGED.search(again.stdout)
    unchanged = int(found.group(1)) if found else None
    if (moved, readings, unchanged) != (changed, rows + new_readings, rows - changed):
        raise BenchError(
            f"re-import wrote other rows than those changed: revisions moved {moved} "
            f"(expected {changed}), registry readings {readings} (expected "
            f"{rows + new_readings}), reported unchanged {unchanged} (expected {rows - changed})"
        )


def report(rows: int, changed: int, first: CommandRun, again: CommandRun) -> dict[str, Any]:
    ratio = again.wall / first.wall
    projected = again.wall * TARGET_ROWS / rows
    met = again.wall <= TARGET_SECONDS if rows == TARGET_ROWS else None
    print(f"\nmachine: {machine()}")
    print(f"re-import of {rows:,} rows, {changed:,} of them changed, into PostgreSQL")
    print(
        f"  re-import {again.wall:.2f} s (peak RSS {mib(again.peak_rss)}); first import of the "
        f"same file {first.wall:.2f} s (peak RSS {mib(first.peak_rss)})"
    )
    print(f"  ratio re-import/first import {ratio:.2f}")
    print(
        f"  projected to {TARGET_ROWS:,} rows (linear): {projected:.1f} s; target <= "
        f"{TARGET_SECONDS:.0f} s: "
        + {True: "met", False: "MISSED", None: f"n/a (measure at {TARGET_ROWS:,})"}[met]
    )
    return {
        "rows": rows,
        "changed": changed,
        "reimport_seconds": again.wall,
        "reimport_command_seconds": again.command,
        "reimport_peak_rss": again.peak_rss,
        "first_seconds": first.wall,
        "first_peak_rss": first.peak_rss,
        "ratio": ratio,
        "projected_seconds": projected,
        "target_seconds": TARGET_SECONDS,
        "met": met,
    }


def main() -> None:
    args = parse_args()
    every = max(1, round(1 / args.changed))
    with tempfile.TemporaryDirectory(prefix="komunalka-bench-") as tmp:
        workdir = Path(tmp)
        first_file, again_file = workdir / "registry.csv", workdir / "registry-again.csv"
        start = time.perf_counter()
        write_registry(
            first_file,
            args.rows,
            account_base=6_000_000_000,
            serial_prefix=SERIAL_PREFIX,
            period=PERIOD,
        )
        changed, new_readings = write_changed(first_file, again_file, every)
        print(f"files written in {time.perf_counter() - start:.1f} s", flush=True)
        with temporary_database("reimport", keep=args.keep_db) as db:
            prepare_schema(db)
            checkpoint(db)
            first = timed_import(db, first_file, "first import", workdir)
            sql_vacuum(db)
            again = timed_import(db, again_file, "re-import  ", workdir)
            check(db, args.rows, changed, new_readings, again)
    save_json(args.json, report(args.rows, changed, first, again))


def sql_vacuum(db: Any) -> None:
    """As the database would be a month after the first import: analyzed, checkpointed."""
    sql(db, "VACUUM ANALYZE")
    checkpoint(db)


if __name__ == "__main__":
    try:
        main()
    except BenchError as exc:
        sys.exit(f"benchmark failed: {exc}")
