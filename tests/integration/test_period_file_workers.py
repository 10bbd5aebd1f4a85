"""The period file job in several workers on one database (each on its own engine), and across a
restart: each supplier's file for a period is written once and never again."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.period_files import SqlPeriodFiles
from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import period_files, supplier_events
from komunalka.adapters.spreadsheets import OpenpyxlSpreadsheets
from komunalka.application.readings.submit_readings import ReadingItem, SubmitReadingsRequest
from komunalka.application.shared.actors import Actor
from komunalka.application.suppliers.period_files import PeriodFilesReport
from komunalka.application.suppliers.ports import PeriodFile
from komunalka.application.suppliers.supplier_access import ServiceCaller, SupplierKey
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, kyiv
from tests.world import World, build_world

NOVEMBER = BillingPeriod(2026, 11)
CLOSED = kyiv(2026, 12, 1, 0, 3)


class RacingFiles(SqlPeriodFiles):
    """Holds every worker at the point of keeping a file until the other gets there too: the
    race the store's primary key must decide, where the database lets them meet (PostgreSQL;
    SQLite's write lock lets one writer in at a time, so there the second finds the file kept
    and never gets here while the first waits)."""

    def __init__(
        self, arrived: list[tuple[str, BillingPeriod]], everyone: asyncio.Event, name: str
    ) -> None:
        self._arrived, self._everyone, self._name = arrived, everyone, name

    async def add(self, file: PeriodFile, content: bytes) -> bool:
        self._arrived.append((self._name, file.period))
        if len(self._arrived) >= 2:
            self._everyone.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._everyone.wait(), timeout=1)
        return await super().add(file, content)


def _wire(storage: SqlStorage, at: datetime) -> Wiring:
    return Wiring.wire(storage, FakeClock(at), spreadsheets=OpenpyxlSpreadsheets())


async def _world(storage: SqlStorage) -> World:
    world = await build_world(storage)
    actor = Actor.resident(world.resident, Channel.WEB)
    await _wire(storage, kyiv(2026, 11, 20)).submit_readings(
        SubmitReadingsRequest(actor, [ReadingItem(world.hot_water, "117")])
    )
    return world


async def _count(engine: AsyncEngine, table: object) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def test_two_workers_racing_write_each_file_once(
    engine: AsyncEngine, database_url: str
) -> None:
    await _world(SqlStorage(engine))
    other = create_engine(database_url)
    arrived: list[tuple[str, BillingPeriod]] = []
    everyone = asyncio.Event()

    def worker(on: AsyncEngine, name: str) -> Wiring:
        storage = SqlStorage(on)
        storage.period_files = RacingFiles(arrived, everyone, name)
        return _wire(storage, CLOSED)

    try:
        reports = await asyncio.gather(
            worker(engine, "a").write_period_files(), worker(other, "b").write_period_files()
        )
    finally:
        await other.dispose()
    assert sum(r.written for r in reports) == 2  # kte's November, yasno's October
    assert sum(r.kept for r in reports) == 2
    assert await _count(engine, period_files) == 2
    assert await _count(engine, supplier_events) == 2  # each announced once
    if engine.dialect.name == "postgresql":  # both went to keep the same file: a real race
        assert sorted(arrived[:2]) == [("a", NOVEMBER), ("b", NOVEMBER)]


async def test_a_restart_does_not_rewrite_a_kept_file(
    engine: AsyncEngine, database_url: str
) -> None:
    world = await _world(SqlStorage(engine))
    first = await _wire(SqlStorage(engine), CLOSED).write_period_files()
    assert first == PeriodFilesReport(written=2, kept=0)
    key = SupplierKey(world.kte.id)
    kept = await _wire(SqlStorage(engine), CLOSED).read_period_file(key, None, NOVEMBER)
    # a new process: a new engine on the same database, an hour later
    restarted = create_engine(database_url)
    try:
        later = kyiv(2026, 12, 1, 1, 3)
        again = await _wire(SqlStorage(restarted), later).write_period_files()
        assert again == PeriodFilesReport(written=0, kept=2)
        after = await _wire(SqlStorage(restarted), later).read_period_file(key, None, NOVEMBER)
    finally:
        await restarted.dispose()
    assert after == kept and after.file.written_at == CLOSED
    export = _wire(SqlStorage(engine), CLOSED).export_readings
    body = [c async for c in export.stream(ServiceCaller(Actor.system()), "kte", NOVEMBER, "csv")]
    assert after.content == b"".join(body)
    assert await _count(engine, supplier_events) == 2
