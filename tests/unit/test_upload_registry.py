"""Registry uploads against fakes: a running import reports its progress through
UploadProgressLog until it ends, and an upload gone silent reads as cut off."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from komunalka.application.suppliers.import_registry import ImportRegistry
from komunalka.application.suppliers.upload_registry import (
    CUT_OFF,
    RegistryUploads,
    RunRegistryUpload,
    StartRegistryUpload,
)
from komunalka.domain.errors import Violation
from komunalka.domain.registry import COLUMNS
from komunalka.domain.staff import StaffMember, StaffRole
from tests.fakes import FakeClock, InMemoryStore
from tests.world import build_world

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


class SlowFile:
    """A registry file read slowly: an import that takes a few heartbeats."""

    def __init__(self) -> None:
        self.columns = list(COLUMNS)
        self.encoding = None

    def rows(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        for n in range(4):
            time.sleep(0.05)  # in the import's worker thread
            yield n + 2, {**dict.fromkeys(COLUMNS, ""), "supplier": "kte"}

    def position(self) -> int | None:
        return None

    def close(self) -> None:
        pass


class SlowFiles:
    def open_registry(self, path: str, kind: str) -> SlowFile:
        return SlowFile()

    def fingerprint(self, path: str) -> str:
        return path

    def xlsx_writer(self, columns: Any) -> Any:
        raise NotImplementedError


async def _started(store: InMemoryStore, clock: FakeClock) -> tuple[StaffMember, int]:
    world = await build_world(store)
    kte = StaffMember(90, "s@x.test", "Staff", StaffRole.SUPPLIER, "", world.kte.id, True)
    start = StartRegistryUpload(
        store, store.suppliers, store.supplier_portal, store.upload_progress, store.audit, clock
    )
    return kte, await start(kte, None, "r.csv")


async def test_a_running_import_reports_rows_read_until_it_ends() -> None:
    store, clock = InMemoryStore(), FakeClock(AT)
    kte, upload_id = await _started(store, clock)
    importer = ImportRegistry(store, store.suppliers, store.registry, store.audit, clock)
    portal, progress = store.supplier_portal, store.upload_progress
    run = RunRegistryUpload(
        store, store.suppliers, portal, progress, clock, importer, SlowFiles(), 0.02
    )
    done = await run(kte, upload_id, "r.csv", "r.csv")
    assert (done.status, done.rows) == ("done", 4)
    reported = [rows for seen, rows, _ in progress.reports if seen == upload_id]
    assert reported and reported == sorted(reported) and reported[-1] <= 4
    count = len(progress.reports)
    await asyncio.sleep(0.05)
    assert len(progress.reports) == count  # the heartbeat ended with the import


async def test_an_upload_gone_silent_reads_as_cut_off_unless_the_lock_is_held() -> None:
    store, clock = InMemoryStore(), FakeClock(AT)
    kte, upload_id = await _started(store, clock)
    uploads = RegistryUploads(
        store, store.suppliers, store.supplier_portal, store.upload_progress, clock
    )
    clock.instant = AT + CUT_OFF + timedelta(seconds=1)
    store.upload_progress.locked = True  # SQLite: a live import holds the write lock
    assert (await uploads.get(kte, None, upload_id)).status == "running"
    store.upload_progress.locked = False
    cut = await uploads.get(kte, None, upload_id)
    assert (cut.status, cut.file_problems) == ("failed", [Violation("portal.upload_cut_off")])
    assert [u.status for u in await uploads.recent(kte, None)] == ["failed"]
