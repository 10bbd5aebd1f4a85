"""Benchmark: residents' submissions while a registry re-import of N meters runs on PostgreSQL.

    .venv/bin/python bench/import_stall.py [--rows 1000000] [--rate 50] [--before-src DIR]

A database with N meters of supplier kte (`komunalka import-registry`, setup), every account
linked to the demo resident. Then, in one run: submissions alone for REFERENCE seconds (the
reference), and the same submissions while `komunalka import-registry` imports the same N meters
again (every meter listed again: its row rewritten, its revision moved on). Submissions go
through the SubmitReadings use case in this process (the one every door ends in), paced at
`--rate` a second, each to a meter of the file not submitted to before, drawn at random.
Reported: p50, p99 and max latency of the submissions made during the import and of the
reference, and the import's wall seconds. The target (ADR 0016): during a 1,000,000-row
re-import, p99 <= 100 ms and none over 1 s. With `--before-src` (a checkout's `src`), the same
is run first with that code's import, for the before/after figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from komunalka.adapters.clock import FrozenClock
from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.storage import SqlStorage
from komunalka.application.readings.submit_readings import (
    ReadingItem,
    SubmitReadings,
    SubmitReadingsRequest,
)
from komunalka.application.shared.actors import Actor
from komunalka.domain.services import Channel
from support import (
    NOW,
    BenchError,
    CommandRun,
    Database,
    checkpoint,
    komunalka,
    machine,
    prepare_schema,
    save_json,
    scalar,
    sql,
    temporary_database,
    timed_komunalka,
    write_registry,
)

TARGET_ROWS, TARGET_P99_MS, TARGET_MAX_MS = 1_000_000, 100.0, 1000.0
REFERENCE = 10.0  # seconds of submissions with no import running
WARMUP = 100
SERIAL_PREFIX = "ST"
PREVIOUS_VALUE, VALUE = "1000.000", "1002.5"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Submissions during a registry re-import.")
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--rate", type=float, default=50.0, help="submissions a second")
    parser.add_argument("--before-src", type=Path, help="also run this checkout's import first")
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser.parse_args()


def prepare(db: Database, path: Path, rows: int, workdir: Path) -> tuple[int, list[int]]:
    """Schema, suppliers, the registry's meters linked to the demo resident: (resident, ids)."""
    prepare_schema(db)
    write_registry(
        path, rows, account_base=6_000_000_000, serial_prefix=SERIAL_PREFIX,
        period="2026-10", value=PREVIOUS_VALUE,
    )  # fmt: skip
    komunalka(db, "import-registry", str(path), "--report", str(workdir / "first.csv"))
    resident = scalar(db, "SELECT min(resident_id) FROM api_tokens")
    sql(
        db,
        """INSERT INTO account_links (resident_id, account_id, proof, linked_at)
           SELECT DISTINCT $1::bigint, account_id, 'bench', now() FROM meters
           WHERE serial LIKE $2 ON CONFLICT DO NOTHING""",
        resident,
        f"{SERIAL_PREFIX}%",
    )
    sql(db, "VACUUM ANALYZE")
    ids = [r[0] for r in sql(db, "SELECT id FROM meters WHERE serial LIKE $1", "ST%")]
    if len(ids) != rows:
        raise BenchError(f"{len(ids)} meters imported, {rows} expected")
    random.Random(11).shuffle(ids)
    return int(resident), ids


async def submissions(
    submit: SubmitReadings, resident: int, meters: list[int], rate: float, until: Any
) -> tuple[list[float], int]:
    """Submits to `meters` in turn, `rate` a second, until `until()`: each one's milliseconds
    (a failed one's until it failed), and how many failed."""
    latencies: list[float] = []
    failed: list[int] = []
    actor = Actor.resident(resident, Channel.API)

    async def one(meter: int) -> None:
        start = time.perf_counter()
        try:
            await submit(SubmitReadingsRequest(actor, [ReadingItem(meter, VALUE)]))
        except Exception:  # a resident who gave up (the pool's 30 s): counted, as its time
            failed.append(meter)
        latencies.append(1000 * (time.perf_counter() - start))

    running: set[asyncio.Task[None]] = set()
    start = time.perf_counter()
    for n, meter in enumerate(meters):
        if until():
            break
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        task = asyncio.create_task(one(meter))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    return latencies, len(failed)


def figures(found: tuple[list[float], int]) -> dict[str, float]:
    ordered, failed = sorted(found[0]), found[1]
    at = lambda share: ordered[min(len(ordered) - 1, int(share * len(ordered)))]  # noqa: E731
    return {
        "count": len(ordered),
        "failed": failed,
        "p50_ms": at(0.5),
        "p99_ms": at(0.99),
        "max_ms": ordered[-1],
        "over_1s": sum(1 for x in ordered if x > 1000),
    }


async def measure(db: Database, path: Path, args: argparse.Namespace, workdir: Path) -> Any:
    resident, ids = await asyncio.to_thread(prepare, db, path, args.rows, workdir)
    engine = create_engine(db.url)
    submit = SubmitReadings(
        (storage := SqlStorage(engine)), storage.submissions, storage.readings,
        FrozenClock(datetime_of(NOW)),
    )  # fmt: skip
    # Warm-up, not measured: the pool's connections and their prepared statements.
    await submissions(submit, resident, ids[-WARMUP:], args.rate, lambda: False)
    ids = ids[:-WARMUP]
    reference_end = time.perf_counter() + REFERENCE
    half = len(ids) // 2  # the reference's meters, then the import's: none twice
    reference = await submissions(
        submit, resident, ids[half:], args.rate, lambda: time.perf_counter() > reference_end
    )
    await asyncio.to_thread(checkpoint, db)
    report = workdir / "again.csv"
    importing = asyncio.create_task(
        asyncio.to_thread(
            timed_komunalka, db, "import-registry", str(path), "--report", str(report)
        )
    )
    during = await submissions(submit, resident, ids[:half], args.rate, importing.done)
    run: CommandRun = await importing
    await engine.dispose()
    query = "SELECT count(*) FROM meters WHERE serial LIKE 'ST%' AND revision > 0"
    revised = await asyncio.to_thread(scalar, db, query)
    return {
        "import_seconds": run.wall,
        "import_command_seconds": run.command,
        "meters_revised": int(revised),
        "reference": figures(reference),
        "during_import": figures(during),
    }


def datetime_of(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


def run_variant(label: str, src: Path, args: argparse.Namespace, workdir: Path) -> Any:
    os.environ["PYTHONPATH"] = str(src)
    path = workdir / "registry.csv"
    with temporary_database(f"stall_{label}") as db:
        found = asyncio.run(measure(db, path, args, workdir))
    ref, during = found["reference"], found["during_import"]
    print(
        f"{label}: re-import of {args.rows:,} rows {found['import_seconds']:.1f} s "
        f"(command {found['import_command_seconds']:.1f} s); submissions at {args.rate:g}/s\n"
        f"  during the import: {during['count']} submissions, p50 {during['p50_ms']:.1f} ms, "
        f"p99 {during['p99_ms']:.1f} ms, max {during['max_ms']:.1f} ms, "
        f"{during['over_1s']} over 1 s, {during['failed']} failed\n"
        f"  no import running: {ref['count']} submissions, p50 {ref['p50_ms']:.1f} ms, "
        f"p99 {ref['p99_ms']:.1f} ms, max {ref['max_ms']:.1f} ms",
        flush=True,
    )
    return found


def main() -> None:
    args = parse_args()
    ours = Path(__file__).resolve().parents[1] / "src"
    results: dict[str, Any] = {"machine": machine(), "rows": args.rows, "rate": args.rate}
    with tempfile.TemporaryDirectory(prefix="komunalka-bench-") as tmp:
        if args.before_src:
            results["before"] = run_variant("before", args.before_src.resolve(), args, Path(tmp))
        results["after"] = after = run_variant("after", ours, args, Path(tmp))
    during = after["during_import"]
    met = during["p99_ms"] <= TARGET_P99_MS and during["max_ms"] <= TARGET_MAX_MS
    met = met and not during["failed"]
    target = f"p99 <= {TARGET_P99_MS:.0f} ms and max <= {TARGET_MAX_MS:.0f} ms during the import"
    print(f"machine: {machine()}\ntarget {target}: {'met' if met else 'MISSED'}")
    results["met"] = met
    save_json(args.json, results)


if __name__ == "__main__":
    try:
        main()
    except BenchError as exc:
        sys.exit(f"benchmark failed: {exc}")
