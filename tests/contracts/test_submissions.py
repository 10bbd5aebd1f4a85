"""Contract of the submission repository (SubmissionRepository's docstrings): the snapshot a
submission is judged against, and the save that writes all of it or nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from komunalka.application.readings.ports import Claim, NewSubmission, SubmissionSnapshot
from komunalka.application.shared.actors import Actor
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus
from komunalka.domain.services import Channel
from tests.fakes import kyiv
from tests.world import World, build_world

AT = kyiv(2026, 11, 20)
SINCE = BillingPeriod(2026, 8)
NOVEMBER = BillingPeriod(2026, 11)


def _actor(world: World) -> Actor:
    return Actor.resident(world.resident, Channel.API)


async def _snapshot(storage: Any, world: World, key: str | None = None) -> SubmissionSnapshot:
    async with storage(write=True):
        snap: SubmissionSnapshot = await storage.submissions.snapshot(
            _actor(world), key, [world.hot_water, world.stranger_meter], SINCE, hold=True
        )
    return snap


def _new(
    world: World,
    snap: SubmissionSnapshot,
    value: str,
    *,
    key: str | None = None,
    superseded: tuple[int, ...] = (),
    shift: int = 0,
) -> NewSubmission:
    ctx = next(c for c in snap.contexts if c.meter.id == world.hot_water)
    receipt = f"2611-{value.replace('.', '')[:4]:0>4}-TEST"
    reading = Reading(world.hot_water, "T1", NOVEMBER, Decimal(value), AT, Channel.API, receipt)
    revisions = {world.hot_water: ctx.revision + shift}
    return NewSubmission(
        _actor(world), key, f"fp-{value}", AT, [reading], list(superseded), revisions
    )


async def _save(storage: Any, new: NewSubmission) -> Claim | None:
    async with storage(write=True) as tx:
        claim: Claim | None = await storage.submissions.save(new)
        await tx.commit()
    return claim


async def _november(storage: Any, world: World) -> list[tuple[Decimal, ReadingStatus]]:
    async with storage():
        rows = await storage.readings.history(world.hot_water, NOVEMBER)
    return [(r.value, r.status) for r in rows]


async def test_a_snapshot_holds_the_meters_their_links_and_accepted_history(storage: Any) -> None:
    world = await build_world(storage)
    snap = await _snapshot(storage, world, key="first-use")
    assert snap.earlier is None
    by_meter = {c.meter.id: c for c in snap.contexts}
    assert set(by_meter) == {world.hot_water, world.stranger_meter}
    mine, theirs = by_meter[world.hot_water], by_meter[world.stranger_meter]
    assert mine.linked and not theirs.linked
    assert mine.supplier.code == "kte" and mine.account.number == "1000001357"
    values = [r.value for r in mine.history["T1"]]
    assert values == [Decimal("110"), Decimal("112.5"), Decimal("115")]  # from August on
    assert theirs.history == {}  # its April reading is before `since`


async def test_a_save_writes_the_readings_the_audit_entry_and_moves_the_meter_on(
    storage: Any,
) -> None:
    world = await build_world(storage)
    snap = await _snapshot(storage, world)
    claim = await _save(storage, _new(world, snap, "117", key="k1"))
    assert claim is not None and claim.is_new
    assert (claim.fingerprint, claim.at) == ("fp-117", AT)
    async with storage():
        (stored,) = await storage.readings.of_submission(claim.submission_id)
        subject = f"submission:{claim.submission_id}"
        (entry,) = await storage.audit_trail.entries(subject, "readings.submit")
    assert (stored.value, stored.submission_id, stored.receipt) == (
        Decimal(117),
        claim.submission_id,
        "2611-0117-TEST",
    )
    assert (entry.actor_kind, entry.actor_id, entry.channel) == ("resident", world.resident, "api")
    assert dict(entry.details) == {"key": "k1"}
    after = await _snapshot(storage, world)
    ctx = next(c for c in after.contexts if c.meter.id == world.hot_water)
    before = next(c for c in snap.contexts if c.meter.id == world.hot_water)
    assert ctx.revision == before.revision + 1
    assert [r.value for r in ctx.history["T1"]][-1] == Decimal(117)


async def test_a_correction_supersedes_the_reading_it_replaces(storage: Any) -> None:
    world = await build_world(storage)
    first = await _save(storage, _new(world, await _snapshot(storage, world), "117"))
    assert first is not None
    async with storage():
        (old,) = await storage.readings.of_submission(first.submission_id)
    snap = await _snapshot(storage, world)
    second = await _save(storage, _new(world, snap, "116.5", superseded=(old.id,)))
    assert second is not None and second.submission_id != first.submission_id
    assert await _november(storage, world) == [
        (Decimal(117), ReadingStatus.SUPERSEDED),
        (Decimal("116.5"), ReadingStatus.ACCEPTED),
    ]


async def test_a_save_from_a_stale_snapshot_writes_nothing(storage: Any) -> None:
    world = await build_world(storage)
    snap = await _snapshot(storage, world)
    assert await _save(storage, _new(world, snap, "116")) is not None
    assert await _save(storage, _new(world, snap, "117")) is None  # judged before the 116
    assert await _save(storage, _new(world, snap, "118", shift=5)) is None
    assert await _november(storage, world) == [(Decimal(116), ReadingStatus.ACCEPTED)]
    async with storage():
        audited = await storage.audit_trail.trail(0, [world.hot_water], 10)
    assert len(audited) == 1


async def test_a_taken_client_key_gives_back_the_first_claim_and_writes_nothing(
    storage: Any,
) -> None:
    world = await build_world(storage)
    snap = await _snapshot(storage, world)
    first = await _save(storage, _new(world, snap, "116", key="same"))
    assert first is not None
    fresh = await _snapshot(storage, world)
    again = await _save(storage, _new(world, fresh, "117", key="same"))
    assert again == Claim(first.submission_id, False, "fp-116", AT)
    assert await _november(storage, world) == [(Decimal(116), ReadingStatus.ACCEPTED)]
    earlier = await _snapshot(storage, world, key="same")
    assert earlier.earlier == again and earlier.contexts == []
    other = Actor.resident(world.resident + 1, Channel.API)  # keys are per actor
    async with storage(write=True):
        theirs = await storage.submissions.snapshot(other, "same", [], SINCE, hold=False)
    assert theirs.earlier is None


async def test_a_correction_of_a_reading_no_longer_accepted_fails_whole(storage: Any) -> None:
    world = await build_world(storage)
    first = await _save(storage, _new(world, await _snapshot(storage, world), "116"))
    assert first is not None
    async with storage():
        (gone,) = await storage.readings.of_submission(first.submission_id)
    await _save(
        storage, _new(world, await _snapshot(storage, world), "116.5", superseded=(gone.id,))
    )
    snap = await _snapshot(storage, world)
    with pytest.raises(RuntimeError):
        await _save(storage, _new(world, snap, "117", superseded=(gone.id,)))
    assert await _november(storage, world) == [
        (Decimal(116), ReadingStatus.SUPERSEDED),
        (Decimal("116.5"), ReadingStatus.ACCEPTED),
    ]


async def test_a_snapshot_carries_the_meters_water_heater_flag(storage: Any) -> None:
    world = await build_world(storage)
    async with storage(write=True) as tx:
        await storage.meters.set_water_heater(world.hot_water, True)
        await tx.commit()
    snap = await _snapshot(storage, world)
    flags = {c.meter.id: c.meter.water_heater for c in snap.contexts}
    assert flags[world.hot_water] is True
    assert not any(flag for meter_id, flag in flags.items() if meter_id != world.hot_water)
