"""The period's file at the window's close (ADR 0018), through the use cases on the fake, SQLite
and PostgreSQL: written once per supplier and period in the supplier's format, equal to the
period's export, kept (a later run does not rewrite it), listed, read, and announced."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from komunalka.adapters.db.tables import audit_log, supplier_events
from komunalka.adapters.spreadsheets import OpenpyxlSpreadsheets
from komunalka.application.readings.submit_readings import ReadingItem, SubmitReadingsRequest
from komunalka.application.shared.actors import Actor
from komunalka.application.suppliers.period_files import PeriodFilesReport
from komunalka.application.suppliers.ports import PERIOD_FILE_READY
from komunalka.application.suppliers.supplier_access import ServiceCaller, SupplierKey
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, InMemoryStore, kyiv
from tests.world import World, build_world

SERVICE = ServiceCaller(Actor.system())
NOVEMBER = BillingPeriod(2026, 11)
OCTOBER = BillingPeriod(2026, 10)
CLOSED = kyiv(2026, 12, 1, 0, 3)  # kte's November window (5..-1) closed three minutes ago


def _wire(storage: Any, at: datetime) -> Wiring:
    return Wiring.wire(storage, FakeClock(at), spreadsheets=OpenpyxlSpreadsheets())


async def _sent_in_november(storage: Any) -> World:
    world = await build_world(storage)
    actor = Actor.resident(world.resident, Channel.WEB)
    await _wire(storage, kyiv(2026, 11, 20)).submit_readings(
        SubmitReadingsRequest(actor, [ReadingItem(world.hot_water, "117,5")])
    )
    return world


async def _export(storage: Any, at: datetime, period: BillingPeriod, fmt: str = "csv") -> bytes:
    uc = _wire(storage, at)
    return b"".join([c async for c in uc.export_readings.stream(SERVICE, "kte", period, fmt)])


async def test_before_the_window_closes_no_file_is_written_for_it(storage: Any) -> None:
    world = await _sent_in_november(storage)
    await _wire(storage, kyiv(2026, 11, 30, 23, 59)).write_period_files()
    with pytest.raises(DomainError) as missing:
        await _wire(storage, CLOSED).read_period_file(SupplierKey(world.kte.id), None, NOVEMBER)
    assert missing.value.code == "portal.no_period_file"


async def test_at_the_close_the_file_equals_the_export_and_is_announced_once(
    storage: Any,
) -> None:
    world = await _sent_in_november(storage)
    report = await _wire(storage, CLOSED).write_period_files()
    # kte's November and yasno's October (its -2..3 window closed on 3 November)
    assert report == PeriodFilesReport(written=2, kept=0)
    kept = await _wire(storage, CLOSED).read_period_file(SupplierKey(world.kte.id), None, NOVEMBER)
    assert kept.file.format == "csv" and kept.file.written_at == CLOSED
    assert kept.content == await _export(storage, CLOSED, NOVEMBER)
    assert b"117.500" in kept.content and kept.file.size == len(kept.content)
    listed = await _wire(storage, CLOSED).period_files(SupplierKey(world.yasno.id), None)
    assert [(f.period, f.format) for f in listed] == [(OCTOBER, "csv")]
    # runs after it keep what is there
    again = await _wire(storage, kyiv(2026, 12, 1, 0, 8)).write_period_files()
    assert again == PeriodFilesReport(written=0, kept=2)
    later = await _wire(storage, CLOSED).read_period_file(SupplierKey(world.kte.id), None, NOVEMBER)
    assert later == kept
    events = await _events(storage)
    assert [(e[0], e[1], e[2]) for e in events] == [
        (world.kte.id, PERIOD_FILE_READY, NOVEMBER),
        (world.yasno.id, PERIOD_FILE_READY, OCTOBER),
    ]
    kte_event = events[0][3]
    assert kte_event["path"] == "/api/v1/supplier/periods/2026-11/file"
    assert kte_event["format"] == "csv" and kte_event["size"] == len(kept.content)


async def _events(storage: Any) -> list[tuple[int, str, BillingPeriod, dict[str, object]]]:
    """The supplier events recorded, in order: the fake's state, or the table's rows."""
    if isinstance(storage, InMemoryStore):
        return [(s, k, p, payload) for s, k, p, payload, _ in storage.state.supplier_events]
    async with storage.engine.connect() as conn:
        rows = await conn.execute(select(supplier_events).order_by(supplier_events.c.id))
        return [
            (r.supplier_id, r.kind, BillingPeriod.from_index(r.period), json.loads(r.payload))
            for r in rows
        ]


async def _audited(storage: Any, action: str) -> list[dict[str, object]]:
    if isinstance(storage, InMemoryStore):
        return [details for _, done, _, details in storage.state.audit if done == action]
    async with storage.engine.connect() as conn:
        query = select(audit_log.c.details).where(audit_log.c.action == action)
        return [json.loads(r.details) for r in await conn.execute(query.order_by(audit_log.c.id))]


async def test_the_file_is_written_in_the_suppliers_chosen_format(storage: Any) -> None:
    world = await _sent_in_november(storage)
    chosen = await _wire(storage, kyiv(2026, 11, 25)).set_delivery(SERVICE, "kte", "2", "xlsx")
    assert (chosen.early_days, chosen.file_format) == (2, "xlsx")
    await _wire(storage, CLOSED).write_period_files()
    kept = await _wire(storage, CLOSED).read_period_file(SupplierKey(world.kte.id), None, NOVEMBER)
    assert kept.file.format == "xlsx" and kept.content[:2] == b"PK"
    exported = await _export(storage, CLOSED, NOVEMBER, "xlsx")
    assert _cells(kept.content) == _cells(exported)
    assert any("117.5" in str(row) for row in _cells(kept.content))


def _cells(workbook: bytes) -> list[tuple[object, ...]]:
    sheet = load_workbook(io.BytesIO(workbook), read_only=True).active
    assert sheet is not None
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


async def test_a_supplier_sees_only_its_own_files(storage: Any) -> None:
    world = await _sent_in_november(storage)
    await _wire(storage, CLOSED).write_period_files()
    with pytest.raises(DomainError) as refused:
        await _wire(storage, CLOSED).read_period_file(SupplierKey(world.yasno.id), None, NOVEMBER)
    assert refused.value.code == "portal.no_period_file"
    with pytest.raises(DomainError) as other:
        await _wire(storage, CLOSED).read_period_file(SupplierKey(world.yasno.id), "kte", NOVEMBER)
    assert other.value.code == "supplier.not_found"


async def test_delivery_settings_are_checked_whole_and_audited(storage: Any) -> None:
    await build_world(storage)
    uc = _wire(storage, kyiv(2026, 11, 25))
    for days, fmt in (("11", "csv"), ("-1", "csv"), ("три", "csv"), ("2", "pdf")):
        with pytest.raises(DomainError):
            await uc.set_delivery(SERVICE, "kte", days, fmt)
    settings = await uc.supplier_settings(SERVICE, "kte")
    assert settings.supplier.window.early_days == 0 and settings.file_format == "csv"
    await uc.set_delivery(SERVICE, "kte", " 3 ", "JSON")
    settings = await uc.supplier_settings(SERVICE, "kte")
    assert str(settings.supplier.window) == "5..-1 early 3" and settings.file_format == "json"
    # changing the day ranges keeps early sending as it was
    await uc.set_window_rule(SERVICE, "kte", "6..-1")
    settings = await uc.supplier_settings(SERVICE, "kte")
    assert str(settings.supplier.window) == "6..-1 early 3"
    (audited,) = await _audited(storage, "supplier_delivery.set")
    assert audited == {
        "early_days": {"from": 0, "to": 3},
        "file_format": {"from": "csv", "to": "json"},
    }
