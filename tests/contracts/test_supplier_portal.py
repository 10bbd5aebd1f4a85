"""Contracts of the supplier portal's ports: a supplier's settings, registry uploads, pull-API
tokens and the counts behind a period's statistics; and the storage probe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from komunalka.application.suppliers.ports import HourlyReadings, RejectedRow
from komunalka.domain.errors import Violation
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus
from komunalka.domain.services import Channel
from komunalka.domain.windows import WindowRule
from tests.world import build_world

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)
NOVEMBER = BillingPeriod(2026, 11)


async def test_a_suppliers_services_and_window_rule_are_kept(storage: Any) -> None:
    world = await build_world(storage)
    portal = storage.supplier_portal
    async with storage(write=True) as tx:
        assert await portal.services_of(world.kte.id) == ["hot_water"]
        assert await portal.services_of(world.kte.id + 1000) == []
        await portal.set_window_rule(world.kte.id, "1..10,25..-1", "Europe/Warsaw")
        await tx.commit()
    async with storage():
        kte = await storage.suppliers.get(world.kte.id)
        yasno = await storage.suppliers.get(world.yasno.id)
    assert kte is not None and kte.window == WindowRule.parse("1..10,25..-1", "Europe/Warsaw")
    assert yasno == world.yasno


async def test_an_upload_runs_then_keeps_its_outcome_and_rejected_rows(storage: Any) -> None:
    world = await build_world(storage)
    portal = storage.supplier_portal
    async with storage(write=True) as tx:
        upload_id = await portal.add_upload(world.kte.id, None, "реєстр.csv", AT)
        await tx.commit()
    async with storage():
        running = await portal.upload(upload_id)
    assert running is not None
    assert (running.supplier_id, running.filename, running.status, running.created_at) == (
        world.kte.id,
        "реєстр.csv",
        "running",
        AT,
    )
    assert (running.rows, running.accepted, running.rejected, running.finished_at) == (
        0,
        0,
        0,
        None,
    )
    assert running.problems == ()
    problems = [
        RejectedRow(0, (Violation("registry.no_header"),)),
        RejectedRow(
            7,
            (
                Violation("registry.bad_value", {"value": Decimal("1E+5")}),  # type: ignore[dict-item]
                Violation("registry.bad_digits", {"digits": "x"}),
            ),
        ),
    ]
    async with storage(write=True) as tx:
        await portal.finish_upload(upload_id, "failed", (9, 7, 2, 5), problems, AT + timedelta(1))
        await tx.commit()
    async with storage():
        done = await portal.upload(upload_id)
    assert done is not None
    assert (done.status, done.rows, done.accepted, done.rejected) == ("failed", 9, 7, 2)
    assert done.unchanged == 5
    assert done.finished_at == AT + timedelta(1)
    # parameters come back as text
    assert done.problems == (
        RejectedRow(0, (Violation("registry.no_header"),)),
        RejectedRow(
            7,
            (
                Violation("registry.bad_value", {"value": "1E+5"}),
                Violation("registry.bad_digits", {"digits": "x"}),
            ),
        ),
    )
    assert [v.code for v in done.file_problems] == ["registry.no_header"]


async def test_a_suppliers_uploads_are_listed_newest_first_without_reports(storage: Any) -> None:
    world = await build_world(storage)
    portal = storage.supplier_portal
    async with storage(write=True) as tx:
        ids = [await portal.add_upload(world.kte.id, 5, f"{n}.csv", AT) for n in range(3)]
        await portal.add_upload(world.yasno.id, None, "yasno.csv", AT)
        problem = [RejectedRow(2, (Violation("registry.bad_serial"),))]
        await portal.finish_upload(ids[2], "done", (3, 2, 1, 0), problem, AT)
        await tx.commit()
    async with storage():
        listed = await portal.uploads(world.kte.id, 2)
    assert [(u.id, u.filename, u.staff_id) for u in listed] == [
        (ids[2], "2.csv", 5),
        (ids[1], "1.csv", 5),
    ]
    assert (listed[0].status, listed[0].rejected, listed[0].problems) == ("done", 1, ())


async def test_pull_tokens_answer_for_their_supplier_until_revoked(storage: Any) -> None:
    world = await build_world(storage)
    portal = storage.supplier_portal
    async with storage(write=True) as tx:
        first = await portal.add_token(world.kte.id, "h" * 64, "1С", None, AT)
        second = await portal.add_token(world.kte.id, "g" * 64, "SAP", 3, AT + timedelta(1))
        await portal.add_token(world.yasno.id, "y" * 64, "yasno", None, AT)
        await tx.commit()
    async with storage(write=True) as tx:
        assert not await portal.revoke_token(world.yasno.id, first, AT)  # not yasno's
        assert await portal.revoke_token(world.kte.id, first, AT + timedelta(2))
        assert not await portal.revoke_token(world.kte.id, first, AT + timedelta(3))
        await tx.commit()
    async with storage():
        tokens = await portal.tokens(world.kte.id)
        assert [(t.id, t.label, t.revoked_at) for t in tokens] == [
            (second, "SAP", None),
            (first, "1С", AT + timedelta(2)),
        ]
        assert tokens[0].created_at == AT + timedelta(1)
        assert await portal.supplier_for_token("h" * 64) is None
        assert await portal.supplier_for_token("g" * 64) == world.kte.id
        assert await portal.supplier_for_token("y" * 64) == world.yasno.id
        assert await portal.supplier_for_token("z" * 64) is None


async def test_a_periods_counts_are_of_active_meters_and_accepted_readings(storage: Any) -> None:
    world = await build_world(storage)
    at = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
    late = datetime(2026, 11, 20, 11, 59, 59, tzinfo=UTC)
    readings = [
        Reading(world.electricity, "day", NOVEMBER, Decimal(1100), at, Channel.TELEGRAM, "r1"),
        Reading(world.electricity, "night", NOVEMBER, Decimal(550), at, Channel.TELEGRAM, "r2"),
        Reading(world.electricity, "total", NOVEMBER, Decimal(1650), late, Channel.WEB, "r3"),
        Reading(world.hot_water, "T1", NOVEMBER, Decimal(117), at, Channel.VIBER, "r4"),
        Reading(
            world.stranger_meter,
            "T1",
            NOVEMBER,
            Decimal(12),
            at,
            Channel.WEB,
            "r5",
            status=ReadingStatus.SUPERSEDED,
        ),
    ]
    async with storage(write=True) as tx:
        await storage.readings.add(readings)
        await tx.commit()
    portal = storage.supplier_portal
    async with storage():
        yasno = await portal.period_counts(world.yasno.id, NOVEMBER)
        kte = await portal.period_counts(world.kte.id, NOVEMBER)
        quiet = await portal.period_counts(world.kte.id, BillingPeriod(2027, 1))
    hour = datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert (yasno.active_meters, yasno.meters_sent) == (1, 1)
    assert sorted(yasno.hours, key=lambda h: h.hour) == [
        HourlyReadings(hour, "telegram", 2),
        HourlyReadings(hour + timedelta(hours=1), "web", 1),
    ]
    assert (kte.active_meters, kte.meters_sent) == (3, 1)
    assert list(kte.hours) == [HourlyReadings(hour, "viber", 1)]
    assert (quiet.active_meters, quiet.meters_sent, quiet.hours) == (3, 0, ())


async def test_the_storage_probe_answers_inside_a_transaction_only(storage: Any) -> None:
    async with storage():
        assert await storage.storage_probe.ping() is None
    with pytest.raises(RuntimeError):
        await storage.storage_probe.ping()
