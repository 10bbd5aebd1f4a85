"""The readings sheet against the in-memory fakes: what is due, the values shown, what
"unchanged" stands for, and where a refused try's violations land."""

from __future__ import annotations

from decimal import Decimal

import pytest

from komunalka.application.readings.list_my_meters import ListMyMeters, PeriodStatus
from komunalka.application.readings.readings_sheet import SheetAnswer, ShowReadingsSheet
from komunalka.application.readings.submit_readings import SubmitReadings, SubmitReadingsRequest
from komunalka.application.shared.actors import Actor
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, InMemoryStore, kyiv
from tests.world import World, build_world


@pytest.fixture
async def setup() -> tuple[InMemoryStore, World, FakeClock]:
    store = InMemoryStore()
    return store, await build_world(store), FakeClock(kyiv(2026, 11, 20))


def show(store: InMemoryStore, clock: FakeClock) -> ShowReadingsSheet:
    meters = ListMyMeters(store, store.meter_list, clock)
    return ShowReadingsSheet(meters)


def submit(store: InMemoryStore, clock: FakeClock) -> SubmitReadings:
    return SubmitReadings(store, store.submissions, store.readings, clock)


async def test_the_sheet_shows_each_meter_its_window_and_its_last_values(setup) -> None:
    store, world, clock = setup
    sheet = await show(store, clock)(world.resident)
    by_id = {m.overview.meter.id: m for m in sheet.meters}
    hot = by_id[world.hot_water]
    assert [m.overview.meter.id for m in sheet.due] == [world.hot_water]
    (line,) = hot.lines
    assert line.last is not None and line.last.value == Decimal("115")
    assert line.previous == line.last and line.current is None and line.offers_unchanged
    electricity = by_id[world.electricity]
    assert electricity.overview.status is PeriodStatus.WINDOW_CLOSED and not electricity.open
    # the next window's: it opens on November's last two days, for November
    assert electricity.overview.period == BillingPeriod(2026, 11)
    assert electricity.overview.opens_on.isoformat() == "2026-11-29"
    assert [x.register for x in electricity.lines] == list(electricity.overview.meter.registers)
    assert by_id[world.overdue].overview.status is PeriodStatus.BLOCKED


async def test_unchanged_stands_for_the_last_value_and_empty_answers_are_left_out(setup) -> None:
    store, world, clock = setup
    sheet = await show(store, clock)(world.resident)
    answers = [
        SheetAnswer(world.hot_water, "T1", "", unchanged=True),
        SheetAnswer(world.overdue, "T1", "  "),
    ]
    (item,) = sheet.items(answers)
    assert item.meter_id == world.hot_water and Decimal(item.value) == Decimal("115")
    result = await submit(store, clock)(
        SubmitReadingsRequest(Actor.resident(world.resident, Channel.WEB), [item])
    )
    after = await show(store, clock)(world.resident)
    line = after.line(world.hot_water, "T1")
    assert line is not None and line.current is not None
    assert line.current.receipt == result.readings[0].receipt
    assert line.previous is not None and line.previous.period == BillingPeriod(2026, 10)


async def test_a_refused_try_puts_each_violation_on_its_line(setup) -> None:
    store, world, clock = setup
    sheet = await show(store, clock)(world.resident)
    answers = [SheetAnswer(world.hot_water, "T1", "114")]
    with pytest.raises(DomainError) as caught:
        await submit(store, clock)(
            SubmitReadingsRequest(Actor.resident(world.resident, Channel.WEB), sheet.items(answers))
        )
    tried = sheet.after(caught.value, answers)
    line = tried.line(world.hot_water, "T1")
    assert line is not None and line.answer == answers[0]
    assert [v.code for v in line.errors] == ["reading.below_previous"]
    assert not tried.problems and not tried.only_warnings
    elsewhere = tried.after(DomainError.of("cabinet.nothing_to_send"), [])
    assert [v.code for v in elsewhere.problems] == ["cabinet.nothing_to_send"]
