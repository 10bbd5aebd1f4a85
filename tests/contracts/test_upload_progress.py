"""Contract of UploadProgressLog: a running upload's progress and heartbeat, and the uploads cut
off, each written in a transaction of its own, where a new transaction sees them at once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from komunalka.application.suppliers.ports import RejectedRow
from komunalka.domain.errors import Violation
from tests.world import build_world

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)
CUT = (RejectedRow(0, (Violation("portal.upload_cut_off"),)),)


async def _add(storage: Any, supplier_id: int, at: datetime = AT) -> int:
    async with storage(write=True) as tx:
        upload_id: int = await storage.supplier_portal.add_upload(supplier_id, None, "r.csv", at)
        await tx.commit()
    return upload_id


async def _get(storage: Any, upload_id: int) -> Any:
    async with storage():
        return await storage.supplier_portal.upload(upload_id)


async def test_a_report_of_a_running_upload_is_seen_by_the_next_transaction(storage: Any) -> None:
    world = await build_world(storage)
    upload_id = await _add(storage, world.kte.id)
    assert (await _get(storage, upload_id)).heartbeat_at == AT
    later = AT + timedelta(seconds=5)
    assert await storage.upload_progress.report(upload_id, 50_000, later) is True
    running = await _get(storage, upload_id)
    assert (running.status, running.rows, running.heartbeat_at) == ("running", 50_000, later)


async def test_a_report_of_a_finished_upload_changes_nothing(storage: Any) -> None:
    world = await build_world(storage)
    upload_id = await _add(storage, world.kte.id)
    async with storage(write=True) as tx:
        await storage.supplier_portal.finish_upload(upload_id, "done", (3, 3, 0, 0), [], AT)
        await tx.commit()
    assert await storage.upload_progress.report(upload_id, 9, AT) is False
    assert await storage.upload_progress.report(upload_id + 1000, 9, AT) is False
    assert (await _get(storage, upload_id)).rows == 3


async def test_only_the_suppliers_running_uploads_gone_silent_are_cut_off(storage: Any) -> None:
    world = await build_world(storage)
    stale = await _add(storage, world.kte.id)
    fresh = await _add(storage, world.kte.id, AT + timedelta(minutes=5))
    other = await _add(storage, world.yasno.id)
    done = await _add(storage, world.kte.id)
    async with storage(write=True) as tx:
        await storage.supplier_portal.finish_upload(done, "done", (1, 1, 0, 0), [], AT)
        await tx.commit()
    now = AT + timedelta(minutes=6)
    assert await storage.upload_progress.cut_off(world.kte.id, now - timedelta(minutes=2), now) == 1
    cut = await _get(storage, stale)
    assert (cut.status, cut.finished_at, cut.problems) == ("failed", now, CUT)
    assert cut.file_problems == [Violation("portal.upload_cut_off")]
    assert (await _get(storage, fresh)).status == "running"
    assert (await _get(storage, other)).status == "running"
    assert (await _get(storage, done)).status == "done"


async def test_a_call_while_another_transaction_writes_never_waits(storage: Any) -> None:
    """PostgreSQL writes the row at once; SQLite's one write lock is taken (the import's, in
    life), so the call does nothing rather than wait for it."""
    world = await build_world(storage)
    upload_id = await _add(storage, world.kte.id)
    started = time.monotonic()
    async with storage(write=True):
        await storage.supplier_portal.set_window_rule(world.kte.id, "1..10", "Europe/Kyiv")
        landed = await storage.upload_progress.report(upload_id, 7, AT + timedelta(seconds=5))
        now = AT + timedelta(hours=1)
        cut = await storage.upload_progress.cut_off(world.kte.id, now, now)
    assert time.monotonic() - started < 5
    sqlite = getattr(getattr(storage, "engine", None), "dialect", None)
    if sqlite is not None and sqlite.name == "sqlite":
        assert (landed, cut) == (False, 0)
        assert (await _get(storage, upload_id)).status == "running"
    else:
        assert (landed, cut) == (True, 1)
        assert (await _get(storage, upload_id)).rows == 7
