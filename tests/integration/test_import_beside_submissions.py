"""A registry import beside residents' submissions (ADR 0016): a submission made while an import
runs does not wait for the import's end, and an import killed half-way through its merge and run
again ends as one that was never cut off, with the same report."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from komunalka.adapters.db import migrate
from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import registry_imports
from komunalka.application.readings.submit_readings import (
    ReadingItem,
    SubmitReadings,
    SubmitReadingsRequest,
)
from komunalka.application.shared.actors import Actor
from komunalka.application.suppliers.import_registry import ImportRegistry
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.registry import COLUMNS
from komunalka.domain.services import Channel
from tests.contracts.landing import registry_row
from tests.fakes import FakeClock, kyiv
from tests.world import build_world

CLOCK = FakeClock(kyiv(2026, 11, 20))
SRC = Path(__file__).resolve().parents[2] / "src"


class GatedTransactions:
    """The storage's transactions, the `before`-th write one held at its door until `go` is
    set: an import stopped between two of its steps, holding no transaction."""

    def __init__(self, inner: Any, before: int) -> None:
        self.inner, self.before, self.writes = inner, before, 0
        self.paused, self.go = asyncio.Event(), asyncio.Event()

    def __call__(self, *, write: bool = False, autocommit: bool = False) -> _Gated:
        return _Gated(self, self.inner(write=write, autocommit=autocommit), write)


class _Gated:
    def __init__(self, owner: GatedTransactions, tx: Any, write: bool) -> None:
        self.owner, self.tx, self.write = owner, tx, write

    async def __aenter__(self) -> Any:
        if self.write:
            self.owner.writes += 1
            if self.owner.writes == self.owner.before:
                self.owner.paused.set()
                await self.owner.go.wait()
        return await self.tx.__aenter__()

    async def __aexit__(self, *exc: Any) -> Any:
        return await self.tx.__aexit__(*exc)


async def test_a_submission_during_an_import_does_not_wait_for_its_end(uow: SqlStorage) -> None:
    world = await build_world(uow)
    # The resident's meter comes last, in the third batch of two; four new meters of the same
    # (existing) account go before it, so every row is merged, on both databases.
    serials = [f"HW009000{n}" for n in range(4)] + [world.serial]
    rows = [
        (n + 2, registry_row(world.account_number, serial, period="2026-10", values="100"))
        for n, serial in enumerate(serials)
    ]
    # Write transactions: open, one staged chunk, the first batch, then the second: held.
    gated = GatedTransactions(uow, before=4)
    importer = ImportRegistry(gated, uow.suppliers, uow.registry, uow.audit, CLOCK, batch=2)
    importing = asyncio.create_task(importer(Actor.system(), COLUMNS, rows, lambda _: None))
    try:
        await asyncio.wait_for(gated.paused.wait(), 30)
        submit = SubmitReadings(uow, uow.submissions, uow.readings, CLOCK)
        actor = Actor.resident(world.resident, Channel.WEB)
        request = SubmitReadingsRequest(actor, [ReadingItem(world.hot_water, "118")])
        # The import is held until after this: a submission waiting for its end never ends.
        result = await asyncio.wait_for(submit(request), 10)
        assert not importing.done()
    finally:
        gated.go.set()
    report = await asyncio.wait_for(importing, 30)
    assert (report.accepted, report.counts.meters) == (5, 5)
    async with uow() as _:
        history = await uow.readings.history(world.hot_water, BillingPeriod(2026, 1))
    assert result.readings[0].receipt in {r.receipt for r in history}


def _registry_file(path: Path, rows: Iterator[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _first(count: int) -> Iterator[dict[str, str]]:
    for n in range(count):
        yield registry_row(f"2{n // 2:09d}", f"HW{n:07d}")


def _again(count: int) -> Iterator[dict[str, str]]:
    """The next month's registry: new holders and readings, new accounts, repeats, bad rows."""
    for n in range(count):
        yield registry_row(
            f"2{n // 2:09d}", f"HW{n:07d}", holder=f"Коваль {n % 3}", period="2026-05", values="200"
        )
        if n % 1000 == 7:
            yield registry_row("3000000001", f"HW{n:07d}")  # repeats a meter: rejected
        if n % 1000 == 8:
            yield registry_row(f"2{n // 2:09d}", f"HW{n:07d}x", values="-1")  # bad
    for n in range(count, count + 300):
        yield registry_row(f"4{n:09d}", f"HW{n:07d}")  # a new account, its meter new


async def _import(url: str, path: Path, report: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(SRC), "KOMUNALKA_DATABASE_URL": url}
    command = [sys.executable, "-m", "komunalka", "import-registry", str(path)]
    return await asyncio.create_subprocess_exec(
        *command, "--report", str(report), env=env, stdout=asyncio.subprocess.PIPE
    )


async def _finished(url: str, path: Path, report: Path) -> str:
    process = await _import(url, path, report)
    output = (await process.communicate())[0].decode()
    assert process.returncode == 0, output
    return output


async def _merging(engine: Any) -> bool:
    """Whether the running import has merged a batch (its counts show meters) and not ended."""
    async with engine.connect() as conn:
        query = select(registry_imports.c.meters).where(registry_imports.c.state == "running")
        return bool((await conn.execute(query)).scalar())


_STATE = [
    "SELECT supplier_id, number, holder, address, district FROM accounts",
    "SELECT supplier_id, serial, account_number, registers, status, revision FROM meters",
    "SELECT m.serial, r.register, r.period, r.value_milli, r.status"
    " FROM readings r JOIN meters m ON m.id = r.meter_id",
    "SELECT key, state, rows, meters, staged, duplicates, accounts, readings FROM registry_imports",
    "SELECT count(*) FROM registry_rows",
]


async def _state(engine: Any) -> list[list[tuple[Any, ...]]]:
    async with engine.connect() as conn:
        return [sorted((tuple(r) for r in await conn.execute(text(q))), key=repr) for q in _STATE]


async def _seeded(url: str, first: Path, tmp_path: Path) -> Any:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    await build_world(SqlStorage(engine))
    await _finished(url, first, tmp_path / "first-report.csv")
    return engine


async def test_an_import_killed_mid_merge_and_run_again_ends_as_an_uncut_one(
    engine: Any, database_url: str, empty_database: Any, tmp_path: Path
) -> None:
    await engine.dispose()
    count = 12_000  # three batches of 5,000 rows to merge (one of them short)
    first = _registry_file(tmp_path / "first.csv", _first(count))
    again = _registry_file(tmp_path / "again.csv", _again(count))
    uncut_url = await empty_database(engine.dialect.name)
    uncut = await _seeded(uncut_url, first, tmp_path)
    output = await _finished(uncut_url, again, tmp_path / "uncut.csv")
    expected = await _state(uncut)
    await uncut.dispose()

    cut = await _seeded(database_url, first, tmp_path)
    killed = await _import(database_url, again, tmp_path / "killed.csv")
    for _ in range(3000):
        if await _merging(cut) or killed.returncode is not None:
            break
        await asyncio.sleep(0.01)
    killed.send_signal(signal.SIGKILL)
    await killed.wait()
    assert killed.returncode == -signal.SIGKILL, "the import ended before it was killed"
    assert await _merging(cut)  # cut off half-way through its merge
    assert await _finished(database_url, again, tmp_path / "resumed.csv") == output
    assert await _state(cut) == expected
    resumed = (tmp_path / "resumed.csv").read_text(encoding="utf-8")
    assert resumed == (tmp_path / "uncut.csv").read_text(encoding="utf-8")
    assert resumed.count("registry.duplicate_serial") == resumed.count("reading.negative") == 12
    await cut.dispose()
