"""A running upload's progress where every process sees it, and uploads cut off by a process
that died, on both databases. A second "process" is a second engine with its own storage."""

from __future__ import annotations

import asyncio
import csv
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import registry_uploads
from komunalka.adapters.spreadsheets import OpenpyxlSpreadsheets
from komunalka.application.suppliers.import_registry import ImportRegistry
from komunalka.application.suppliers.upload_registry import RunRegistryUpload
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.errors import Violation
from komunalka.domain.registry import COLUMNS
from komunalka.domain.staff import StaffMember, StaffRole
from tests.fakes import FakeClock, kyiv

START = kyiv(2026, 11, 20)
LATER = START + timedelta(minutes=3)
CUT_OFF = [Violation("portal.upload_cut_off")]


def staff(supplier_id: int) -> StaffMember:
    return StaffMember(90, "s@x.test", "Staff", StaffRole.SUPPLIER, "", supplier_id, True)


def registry(path: Path, count: int) -> str:
    base = dict.fromkeys(COLUMNS, "")
    base.update(
        supplier="kte", holder="Тест Т", address="Київ", service="heat", digits="5", decimals="3"
    )
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for n in range(count):
            writer.writerow({**base, "account": f"17777777{n:02}", "serial": f"HT77700{n:02}"})
    return str(path)


class PausingSpreadsheets(OpenpyxlSpreadsheets):
    """The registry reader, stopping after `after` rows until `go` is set: an import caught
    running (the rows are read in the import's worker thread)."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.paused = threading.Event()
        self.go = threading.Event()

    def open_registry(self, path: str, kind: str) -> Any:
        opened = super().open_registry(path, kind)
        rows = opened.rows

        def paused_rows() -> Iterator[tuple[int, dict[str, str | None]]]:
            for n, row in enumerate(rows(), 1):
                yield row
                if n == self.after:
                    self.paused.set()
                    self.go.wait(30)

        opened.rows = paused_rows
        return opened


@pytest.fixture
async def portal(uow: SqlStorage) -> tuple[Wiring, FakeClock, int]:
    clock = FakeClock(START)
    use_cases = Wiring.wire(uow, clock, spreadsheets=OpenpyxlSpreadsheets())
    await use_cases.load_demo()
    async with uow():
        kte = next(s.id for s in await uow.suppliers.all() if s.code == "kte")
    return use_cases, clock, kte


@pytest.fixture
async def elsewhere(database_url: str) -> AsyncIterator[tuple[Wiring, FakeClock]]:
    """Another process on the same database: its own engine, storage and clock."""
    engine = create_engine(database_url)
    clock = FakeClock(START)
    yield Wiring.wire(SqlStorage(engine), clock, spreadsheets=OpenpyxlSpreadsheets()), clock
    await engine.dispose()


async def test_another_process_sees_a_running_imports_progress(
    portal, elsewhere, uow, tmp_path
) -> None:
    use_cases, clock, kte = portal
    other, other_clock = elsewhere
    files = PausingSpreadsheets(after=3)
    importer = ImportRegistry(uow, uow.suppliers, uow.registry, uow.audit, clock)
    run = RunRegistryUpload(
        uow, uow.suppliers, uow.supplier_portal, uow.upload_progress, clock, importer, files, 0.02
    )
    upload_id = await use_cases.start_registry_upload(staff(kte), None, "r.csv")
    path = registry(tmp_path / "r.csv", 5)
    running = asyncio.create_task(run(staff(kte), upload_id, path, "r.csv"))
    try:
        assert await asyncio.to_thread(files.paused.wait, 30)
        clock.instant = LATER  # time goes on for the import's heartbeat ...
        await _heartbeat_at(other, kte, upload_id, uow.engine.dialect.name)
        # ... and past the cut-off limit from the start: only the heartbeat keeps it running.
        other_clock.instant = LATER
        seen = await other.registry_uploads.get(staff(kte), None, upload_id)
    finally:
        files.go.set()
        done = await running
    # While it reads rows, the import holds no transaction (ADR 0015): on SQLite too, its
    # progress lands.
    assert (seen.status, seen.rows, seen.heartbeat_at) == ("running", 3, LATER)
    assert (done.status, done.rows) == ("done", 5)
    final = await other.registry_uploads.get(staff(kte), None, upload_id)
    assert (final.status, final.rows, final.accepted) == ("done", 5, 5)


async def _heartbeat_at(other: Wiring, kte: int, upload_id: int, dialect: str) -> None:
    """Waits until the other process sees a heartbeat at LATER."""
    for _ in range(500):
        seen = await other.registry_uploads.get(staff(kte), None, upload_id)
        if seen.heartbeat_at == LATER:
            return
        await asyncio.sleep(0.02)


async def test_an_upload_left_running_reads_as_cut_off_and_the_next_one_works(
    portal, elsewhere, tmp_path
) -> None:
    use_cases, _, kte = portal
    other, other_clock = elsewhere
    # Started, then its process died: no heartbeat since.
    dead = await use_cases.start_registry_upload(staff(kte), None, "r.csv")
    assert (await other.registry_uploads.get(staff(kte), None, dead)).status == "running"
    other_clock.instant = LATER
    [listed] = await other.registry_uploads.recent(staff(kte), None)
    assert (listed.id, listed.status, listed.finished_at) == (dead, "failed", LATER)
    cut = await other.registry_uploads.get(staff(kte), None, dead)
    assert cut.file_problems == CUT_OFF
    again = await other.start_registry_upload(staff(kte), None, "r.csv")
    path = registry(tmp_path / "r.csv", 2)
    done = await other.run_registry_upload(staff(kte), again, path, "r.csv")
    assert (done.status, done.rows, done.accepted) == ("done", 2, 2)
    assert (await other.registry_uploads.get(staff(kte), None, dead)).status == "failed"


async def test_the_next_upload_records_one_cut_off_though_no_one_looked(
    portal, elsewhere, uow
) -> None:
    use_cases, _, kte = portal
    other, other_clock = elsewhere
    dead = await use_cases.start_registry_upload(staff(kte), None, "r.csv")
    other_clock.instant = LATER
    fresh = await other.start_registry_upload(staff(kte), None, "r.csv")
    async with uow.engine.connect() as conn:
        query = select(registry_uploads.c.id, registry_uploads.c.status)
        statuses = dict((await conn.execute(query.order_by(registry_uploads.c.id))).all())
    assert statuses == {dead: "failed", fresh: "running"}
