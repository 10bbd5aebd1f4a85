"""SubmitReadings against the in-memory fakes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from komunalka.application.readings.correct_reading import CorrectReading, CorrectReadingRequest
from komunalka.application.readings.submit_readings import (
    ReadingItem,
    SubmitReadings,
    SubmitReadingsRequest,
    SubmitReadingsResult,
)
from komunalka.application.shared.actors import Actor
from komunalka.domain.errors import DomainError
from komunalka.domain.readings import ReadingStatus
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, InMemoryStore, InMemorySubmissions, kyiv
from tests.world import World, build_world


@pytest.fixture
async def setup() -> tuple[InMemoryStore, World, FakeClock]:
    store = InMemoryStore()
    world = await build_world(store)
    return store, world, FakeClock(kyiv(2026, 11, 20))


def submit(store: InMemoryStore, clock: FakeClock) -> SubmitReadings:
    return SubmitReadings(store, store.submissions, store.readings, clock)


def request(world: World, *items: ReadingItem, key: str | None = None) -> SubmitReadingsRequest:
    return SubmitReadingsRequest(Actor.resident(world.resident, Channel.TELEGRAM), items, key)


def codes(exc: pytest.ExceptionInfo[DomainError]) -> list[str]:
    return [v.code for v in exc.value.violations]


async def test_a_typed_reading_is_accepted_with_a_receipt(setup) -> None:
    store, world, clock = setup
    result = await submit(store, clock)(request(world, ReadingItem(world.hot_water, "117,5")))
    (accepted,) = result.readings
    assert accepted.value == Decimal("117.5")
    assert accepted.previous == Decimal("115")
    assert str(accepted.period) == "2026-11"
    assert accepted.receipt.startswith("2611-")
    stored = [r for r in store.state.readings if r.receipt == accepted.receipt]
    assert stored and stored[0].channel is Channel.TELEGRAM


async def test_an_unchanged_reading_is_accepted(setup) -> None:
    store, world, clock = setup
    result = await submit(store, clock)(request(world, ReadingItem(world.hot_water, "115")))
    assert result.readings[0].value == Decimal("115")


async def test_a_reading_below_the_previous_is_rejected_and_nothing_is_written(setup) -> None:
    store, world, clock = setup
    before = list(store.state.readings)
    with pytest.raises(DomainError) as exc:
        await submit(store, clock)(request(world, ReadingItem(world.hot_water, "114")))
    assert codes(exc) == ["reading.below_previous"]
    assert store.state.readings == before


async def test_one_bad_item_rejects_the_whole_submission(setup) -> None:
    store, world, clock = setup
    before = list(store.state.readings)
    items = (
        ReadingItem(world.hot_water, "117"),
        ReadingItem(world.electricity, "abc", register="day"),
    )
    with pytest.raises(DomainError):
        await submit(store, clock)(request(world, *items))
    assert store.state.readings == before
    assert store.commits == 2  # only the world's own


async def test_a_jump_needs_confirmation_and_passes_when_confirmed(setup) -> None:
    store, world, clock = setup
    with pytest.raises(DomainError) as exc:
        await submit(store, clock)(request(world, ReadingItem(world.hot_water, "190")))
    assert codes(exc) == ["reading.jump"]
    confirmed = ReadingItem(world.hot_water, "190", confirm=frozenset({"reading.jump"}))
    result = await submit(store, clock)(request(world, confirmed))
    assert result.readings[0].value == Decimal(190)


async def test_a_second_reading_in_the_period_corrects_the_first_and_both_stay(setup) -> None:
    store, world, clock = setup
    first = await submit(store, clock)(request(world, ReadingItem(world.hot_water, "117")))
    second = await submit(store, clock)(request(world, ReadingItem(world.hot_water, "116")))
    assert second.readings[0].corrected and not first.readings[0].corrected
    november = [
        r
        for r in store.state.readings
        if r.meter_id == world.hot_water and str(r.period) == "2026-11"
    ]
    assert [(r.value, r.status) for r in november] == [
        (Decimal(117), ReadingStatus.SUPERSEDED),
        (Decimal(116), ReadingStatus.ACCEPTED),
    ]


async def test_the_same_client_key_takes_effect_once(setup) -> None:
    store, world, clock = setup
    use = submit(store, clock)
    first = await use(request(world, ReadingItem(world.hot_water, "117"), key="k-1"))
    again = await use(request(world, ReadingItem(world.hot_water, "117"), key="k-1"))
    assert again.replayed and again.submission_id == first.submission_id
    assert again.readings[0].receipt == first.readings[0].receipt
    assert again.readings[0].previous == first.readings[0].previous
    assert sum(1 for r in store.state.readings if str(r.period) == "2026-11") == 1


async def test_a_client_key_reused_for_other_readings_is_refused(setup) -> None:
    store, world, clock = setup
    use = submit(store, clock)
    await use(request(world, ReadingItem(world.hot_water, "117"), key="k-1"))
    with pytest.raises(DomainError) as exc:
        await use(request(world, ReadingItem(world.hot_water, "118"), key="k-1"))
    assert codes(exc) == ["submission.key_reused"]


async def test_a_meter_of_someone_elses_account_looks_like_no_meter(setup) -> None:
    store, world, clock = setup
    for meter_id in (world.stranger_meter, 999_999):
        with pytest.raises(DomainError) as exc:
            await submit(store, clock)(request(world, ReadingItem(meter_id, "11")))
        assert codes(exc) == ["meter.not_found"]


async def test_a_closed_window_says_when_the_next_one_opens(setup) -> None:
    store, world, clock = setup
    with pytest.raises(DomainError) as exc:
        await submit(store, clock)(request(world, ReadingItem(world.electricity, "1100", "day")))
    (violation,) = exc.value.violations
    assert violation.code == "window.closed"
    assert violation.params == {"opens": "2026-11-29", "period": "2026-11"}


async def test_a_meter_past_verification_is_refused_with_its_date(setup) -> None:
    store, world, clock = setup
    with pytest.raises(DomainError) as exc:
        await submit(store, clock)(request(world, ReadingItem(world.overdue, "51")))
    (violation,) = exc.value.violations
    assert violation.code == "meter.verification_overdue"
    assert violation.params["due"] == "2026-11-17"


async def test_zones_with_a_total_must_add_up(setup) -> None:
    store, world, _ = setup
    clock = FakeClock(kyiv(2026, 11, 30))  # YASNO's window is open
    items = (
        ReadingItem(world.electricity, "1100", "day"),
        ReadingItem(world.electricity, "550", "night"),
        ReadingItem(world.electricity, "1600", "total"),
    )
    with pytest.raises(DomainError) as exc:
        await submit(store, clock)(request(world, *items))
    assert codes(exc) == ["reading.total_mismatch"]
    fixed = (*items[:2], ReadingItem(world.electricity, "1650", "total"))
    result = await submit(store, clock)(request(world, *fixed))
    assert {r.register for r in result.readings} == {"day", "night", "total"}


async def test_a_multi_zone_meter_needs_the_zone_named(setup) -> None:
    store, world, _ = setup
    clock = FakeClock(kyiv(2026, 11, 30))
    with pytest.raises(DomainError) as exc:
        await submit(store, clock)(request(world, ReadingItem(world.electricity, "1100")))
    assert codes(exc) == ["reading.unknown_register"]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "reading.empty"),
        ("-5", "reading.negative"),
        ("abc", "reading.not_a_number"),
        ("NaN", "reading.not_finite"),
        ("1e3", "reading.exponent"),
        ("123456", "reading.too_many_digits"),
        ("117,1234", "reading.too_many_decimals"),
    ],
)
async def test_garbage_values_are_refused_with_their_code(setup, value: str, code: str) -> None:
    store, world, clock = setup
    with pytest.raises(DomainError) as exc:
        await submit(store, clock)(request(world, ReadingItem(world.hot_water, value)))
    assert codes(exc) == [code]


async def test_empty_and_repeated_submissions_are_refused(setup) -> None:
    store, world, clock = setup
    with pytest.raises(DomainError) as exc:
        await submit(store, clock)(request(world))
    assert codes(exc) == ["submission.empty"]
    twice = (ReadingItem(world.hot_water, "117"), ReadingItem(world.hot_water, "118"))
    with pytest.raises(DomainError) as exc:
        await submit(store, clock)(request(world, *twice))
    assert codes(exc) == ["submission.repeated_register"]


async def test_every_accepted_submission_is_audited(setup) -> None:
    store, world, clock = setup
    result = await submit(store, clock)(request(world, ReadingItem(world.hot_water, "117")))
    actor, action, subject, _ = store.state.audit[-1]
    assert action == "readings.submit"
    assert actor.channel is Channel.TELEGRAM and actor.on_behalf_of == world.resident
    assert subject == f"submission:{result.submission_id}"
    stored = [r for r in store.state.readings if r.submission_id == result.submission_id]
    assert [r.receipt for r in stored] == [result.readings[0].receipt]


async def test_a_reading_is_corrected_by_its_receipt_while_the_window_is_open(setup) -> None:
    store, world, clock = setup
    first = await submit(store, clock)(request(world, ReadingItem(world.hot_water, "118")))
    receipt = first.readings[0].receipt
    correct = CorrectReading(store, store.readings, store.meters, clock, submit(store, clock))
    actor = Actor.resident(world.resident, Channel.PHONE)
    fixed = await correct(CorrectReadingRequest(actor, receipt.lower(), "117,5"))
    assert fixed.readings[0].corrected and fixed.readings[0].value == Decimal("117.5")
    with pytest.raises(DomainError) as exc:
        await correct(CorrectReadingRequest(actor, receipt, "117"))
    assert codes(exc) == ["reading.already_corrected"]


async def test_a_reading_of_a_closed_period_cannot_be_corrected(setup) -> None:
    store, world, clock = setup
    october = next(
        r
        for r in store.state.readings
        if r.meter_id == world.hot_water and r.receipt and str(r.period) == "2026-10"
    )
    correct = CorrectReading(store, store.readings, store.meters, clock, submit(store, clock))
    actor = Actor.resident(world.resident, Channel.WEB)
    with pytest.raises(DomainError) as exc:
        await correct(CorrectReadingRequest(actor, october.receipt, "114,9"))
    assert codes(exc) == ["reading.correction_closed"]
    with pytest.raises(DomainError) as exc:
        await correct(CorrectReadingRequest(actor, "2611-NONE-XXXX", "1"))
    assert codes(exc) == ["reading.not_found"]


async def test_someone_elses_reading_cannot_be_corrected(setup) -> None:
    store, world, clock = setup
    mine = await submit(store, clock)(request(world, ReadingItem(world.hot_water, "118")))
    stranger = Actor.resident(424242, Channel.WEB)
    with pytest.raises(DomainError) as exc:
        await CorrectReading(store, store.readings, store.meters, clock, submit(store, clock))(
            CorrectReadingRequest(stranger, mine.readings[0].receipt, "117")
        )
    assert codes(exc) == ["meter.not_found"]


async def test_a_meter_moving_on_between_read_and_write_is_judged_again(setup, monkeypatch) -> None:
    """Another submission lands after this one read the meter: this one writes nothing from its
    stale read, then reads again (holding the meter) and becomes a correction of the other."""
    store, world, clock = setup
    use = submit(store, clock)
    original = InMemorySubmissions.snapshot
    interleaved: list[SubmitReadingsResult] = []
    calls = []

    async def snapshot_then_other_lands(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        found = await original(self, *args, **kwargs)
        calls.append(kwargs["hold"])
        if len(calls) == 1:  # the first read only: the other submission lands meanwhile
            interleaved.append(await use(request(world, ReadingItem(world.hot_water, "116"))))
        return found

    monkeypatch.setattr(InMemorySubmissions, "snapshot", snapshot_then_other_lands)
    mine = await use(request(world, ReadingItem(world.hot_water, "117")))
    assert mine.readings[0].corrected and not interleaved[0].readings[0].corrected
    november = [
        (r.value, r.status, r.submission_id)
        for r in store.state.readings
        if r.meter_id == world.hot_water and str(r.period) == "2026-11"
    ]
    assert november == [
        (Decimal(116), ReadingStatus.SUPERSEDED, interleaved[0].submission_id),
        (Decimal(117), ReadingStatus.ACCEPTED, mine.submission_id),
    ]
    # mine read without holding, the other read and wrote, mine read again holding the meter
    assert calls == [False, False, True]
