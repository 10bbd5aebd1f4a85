"""Accept early (ADR 0018), end to end through the use cases on the fake, SQLite and PostgreSQL:
a reading sent in the days before a window opens gets its receipt at once, counts for the
coming period, is held from the supplier (downloads, pull, statistics, non-submitters) until the
window opens, and may be corrected meanwhile."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from komunalka.application.readings.correct_reading import CorrectReadingRequest
from komunalka.application.readings.list_my_meters import PeriodStatus
from komunalka.application.readings.submit_readings import (
    ReadingItem,
    SubmitReadingsRequest,
    SubmitReadingsResult,
)
from komunalka.application.shared.actors import Actor
from komunalka.application.suppliers.supplier_access import ServiceCaller
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import ReadingStatus
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, kyiv
from tests.world import World, build_world

SERVICE = ServiceCaller(Actor.system())
DECEMBER = BillingPeriod(2026, 12)
SECOND = timedelta(seconds=1)


async def _world(storage: Any, rule: str) -> World:
    world = await build_world(storage)
    async with storage(write=True) as tx:
        await storage.supplier_portal.set_window_rule(world.kte.id, rule, "Europe/Kyiv")
        await tx.commit()
    return world


async def _send(storage: Any, world: World, at: datetime, value: str) -> SubmitReadingsResult:
    uc = Wiring.wire(storage, FakeClock(at))
    actor = Actor.resident(world.resident, Channel.WEB)
    result: SubmitReadingsResult = await uc.submit_readings(
        SubmitReadingsRequest(actor, [ReadingItem(world.hot_water, value)])
    )
    return result


async def _exported(storage: Any, at: datetime, period: BillingPeriod) -> list[str]:
    """The values of the kte export of the period as a supplier would download it at `at`."""
    uc = Wiring.wire(storage, FakeClock(at))
    body = b"".join([c async for c in uc.export_readings.stream(SERVICE, "kte", period, "csv")])
    return [row["value"] for row in csv.DictReader(io.StringIO(body.decode()))]


async def _not_sent(storage: Any, at: datetime, period: BillingPeriod) -> list[str]:
    uc = Wiring.wire(storage, FakeClock(at))
    return [n.meter_serial async for n in uc.non_submitters(SERVICE, "kte", period)]


async def test_the_day_before_early_sending_is_refused_saying_when_it_starts(storage: Any) -> None:
    world = await _world(storage, "5..-1 early 3")
    with pytest.raises(DomainError) as refused:
        await _send(storage, world, kyiv(2026, 12, 1, 23, 59, 59), "117")
    (violation,) = refused.value.violations
    assert violation.code == "window.closed_early"
    assert violation.params == {"opens": "2026-12-05", "period": "2026-12", "early": "2026-12-02"}
    assert await _exported(storage, kyiv(2027, 1, 5), DECEMBER) == []  # nothing was written


async def test_without_early_days_the_refusal_is_the_plain_window_closed(storage: Any) -> None:
    world = await _world(storage, "5..-1")
    with pytest.raises(DomainError) as refused:
        await _send(storage, world, kyiv(2026, 12, 4, 23, 59, 59), "117")
    assert refused.value.code == "window.closed"
    assert "early" not in refused.value.violations[0].params


async def test_on_the_first_early_day_a_reading_is_accepted_for_the_coming_period_and_held(
    storage: Any,
) -> None:
    world = await _world(storage, "5..-1 early 3")
    first = kyiv(2026, 12, 2, 0, 0, 0)
    opens = kyiv(2026, 12, 5, 0, 0, 0)
    result = await _send(storage, world, first, "117")
    (accepted,) = result.readings
    assert accepted.receipt.startswith("2612-")
    assert accepted.period == DECEMBER  # the coming period, not November
    assert accepted.held_until == opens and accepted.previous == Decimal(115)
    async with storage():
        (stored,) = await storage.readings.history(world.hot_water, DECEMBER)
    assert stored.held_until == opens and stored.period == DECEMBER
    # the supplier does not see it until the window opens, then it does
    just_before = opens - SECOND
    assert await _exported(storage, just_before, DECEMBER) == []
    assert "HW0011234" in await _not_sent(storage, just_before, DECEMBER)
    stats = await Wiring.wire(storage, FakeClock(just_before)).period_statistics(
        SERVICE, "kte", DECEMBER
    )
    assert stats.meters_sent == 0 and stats.readings == 0
    assert await _exported(storage, opens, DECEMBER) == ["117.000"]
    assert "HW0011234" not in await _not_sent(storage, opens, DECEMBER)
    stats = await Wiring.wire(storage, FakeClock(opens)).period_statistics(SERVICE, "kte", DECEMBER)
    assert stats.meters_sent == 1 and stats.readings == 1


async def test_on_the_opening_day_a_reading_is_passed_on_at_once(storage: Any) -> None:
    world = await _world(storage, "5..-1 early 3")
    result = await _send(storage, world, kyiv(2026, 12, 5, 0, 0, 0), "117")
    assert result.readings[0].held_until is None
    assert result.readings[0].period == DECEMBER
    assert await _exported(storage, kyiv(2026, 12, 5, 0, 0, 1), DECEMBER) == ["117.000"]


async def test_a_held_reading_is_corrected_until_the_window_opens_and_stays_held(
    storage: Any,
) -> None:
    world = await _world(storage, "5..-1 early 3")
    sent = await _send(storage, world, kyiv(2026, 12, 2, 9), "118")  # a slip
    uc = Wiring.wire(storage, FakeClock(kyiv(2026, 12, 3, 9)))
    actor = Actor.resident(world.resident, Channel.WEB)
    fixed = await uc.correct_reading(CorrectReadingRequest(actor, sent.readings[0].receipt, "117"))
    (again,) = fixed.readings
    assert again.corrected and again.period == DECEMBER
    assert again.held_until == kyiv(2026, 12, 5, 0, 0, 0)
    async with storage():
        rows = await storage.readings.history(world.hot_water, DECEMBER)
    assert [(r.value, r.status) for r in rows] == [
        (Decimal(118), ReadingStatus.SUPERSEDED),
        (Decimal(117), ReadingStatus.ACCEPTED),
    ]
    assert await _exported(storage, kyiv(2026, 12, 4, 23), DECEMBER) == []
    assert await _exported(storage, kyiv(2026, 12, 5, 0), DECEMBER) == ["117.000"]


async def test_across_the_years_end_a_held_reading_counts_for_january(storage: Any) -> None:
    world = await _world(storage, "1..5 early 3")
    january = BillingPeriod(2027, 1)
    with pytest.raises(DomainError) as refused:
        await _send(storage, world, kyiv(2026, 12, 28, 23, 59, 59), "117")
    assert refused.value.violations[0].params["early"] == "2026-12-29"
    result = await _send(storage, world, kyiv(2026, 12, 29, 0, 0, 0), "117")
    assert result.readings[0].period == january
    assert result.readings[0].held_until == kyiv(2027, 1, 1, 0, 0, 0)
    assert await _exported(storage, kyiv(2026, 12, 31, 23, 59, 59), january) == []
    assert await _exported(storage, kyiv(2027, 1, 1, 0, 0, 0), january) == ["117.000"]


async def test_across_the_spring_clock_change_the_span_and_the_release_keep_local_midnights(
    storage: Any,
) -> None:
    world = await _world(storage, "1..5 early 5")  # summer time from 28 March 2027
    april = BillingPeriod(2027, 4)
    starts = datetime(2027, 3, 26, 22, 0, tzinfo=UTC)  # 27 March 00:00, +02:00
    opens = datetime(2027, 3, 31, 21, 0, tzinfo=UTC)  # 1 April 00:00, +03:00
    with pytest.raises(DomainError):
        await _send(storage, world, starts - SECOND, "117")
    result = await _send(storage, world, starts, "117")
    assert result.readings[0].period == april and result.readings[0].held_until == opens
    async with storage():
        (stored,) = await storage.readings.history(world.hot_water, april)
    assert stored.held_until == opens
    assert await _exported(storage, opens - SECOND, april) == []
    assert await _exported(storage, opens, april) == ["117.000"]


async def test_across_the_autumn_clock_change_the_span_starts_at_local_midnight(
    storage: Any,
) -> None:
    world = await _world(storage, "1..5 early 7")  # winter time from 25 October 2026, 04:00
    starts = datetime(2026, 10, 24, 21, 0, tzinfo=UTC)  # 25 October 00:00, +03:00
    opens = datetime(2026, 10, 31, 22, 0, tzinfo=UTC)  # 1 November 00:00, +02:00
    with pytest.raises(DomainError):
        await _send(storage, world, starts - SECOND, "116")
    result = await _send(storage, world, starts, "116")
    assert result.readings[0].period == BillingPeriod(2026, 11)
    assert result.readings[0].held_until == opens


async def test_what_is_due_includes_a_meter_that_may_be_sent_early(storage: Any) -> None:
    world = await _world(storage, "5..-1 early 3")
    before = Wiring.wire(storage, FakeClock(kyiv(2026, 12, 1, 12)))
    (closed,) = [
        m for m in await before.list_my_meters(world.resident) if m.meter.serial == "HW0011234"
    ]
    assert closed.status is PeriodStatus.WINDOW_CLOSED and closed.early_until is None
    early = Wiring.wire(storage, FakeClock(kyiv(2026, 12, 2, 12)))
    sheet = await early.readings_sheet(world.resident)
    due = [m.overview for m in sheet.due if m.overview.meter.serial == "HW0011234"]
    assert len(due) == 1 and due[0].period == DECEMBER
    assert due[0].early_until == kyiv(2026, 12, 5, 0, 0, 0)
    assert due[0].passed_on is not None and due[0].passed_on.isoformat() == "2026-12-05"
    await _send(storage, world, kyiv(2026, 12, 2, 13), "117")
    (sent,) = [
        m for m in await early.list_my_meters(world.resident) if m.meter.serial == "HW0011234"
    ]
    assert sent.status is PeriodStatus.SENT
