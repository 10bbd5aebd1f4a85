"""Submitting readings on the real databases: atomic, idempotent, serialized, audited."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from komunalka.adapters.db.readings import StaleCorrection
from komunalka.adapters.db.tables import audit_log, meters, readings, submissions
from komunalka.application.readings.ports import NewSubmission
from komunalka.application.readings.submit_readings import (
    ReadingItem,
    SubmitReadings,
    SubmitReadingsRequest,
)
from komunalka.application.shared.actors import Actor
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, new_receipt
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, kyiv
from tests.world import build_world

CLOCK = FakeClock(kyiv(2026, 11, 20))


async def count(engine, table, *where) -> int:
    async with engine.connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()
        )


def req(world, *items, key=None):
    return SubmitReadingsRequest(Actor.resident(world.resident, Channel.API), items, key)


async def test_an_accepted_reading_is_stored_exactly_and_audited(uow, engine) -> None:
    world = await build_world(uow)
    result = await SubmitReadings(uow, uow.submissions, uow.readings, CLOCK)(
        req(world, ReadingItem(world.hot_water, "117,125"))
    )
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(readings).where(readings.c.receipt == result.readings[0].receipt)
            )
        ).one()
    assert row.value_milli == 117125 and row.channel == "api" and row.status == "accepted"
    assert row.submitted_at == CLOCK.now()
    audited = audit_log.c.subject == f"submission:{result.submission_id}"
    assert await count(engine, audit_log, audit_log.c.action == "readings.submit", audited) == 1


async def test_a_rejected_submission_writes_nothing(uow, engine) -> None:
    world = await build_world(uow)
    before = (
        await count(engine, readings),
        await count(engine, submissions),
        await count(engine, audit_log),
    )
    items = (
        ReadingItem(world.hot_water, "117"),
        ReadingItem(world.hot_water, "1e5", register="T1x"),
    )
    with pytest.raises(DomainError):
        await SubmitReadings(uow, uow.submissions, uow.readings, CLOCK)(req(world, *items))
    after = (
        await count(engine, readings),
        await count(engine, submissions),
        await count(engine, audit_log),
    )
    assert after == before


async def test_a_repeated_client_key_returns_the_first_result_and_writes_once(uow, engine) -> None:
    world = await build_world(uow)
    use = SubmitReadings(uow, uow.submissions, uow.readings, CLOCK)
    first = await use(req(world, ReadingItem(world.hot_water, "117"), key="abc"))
    again = await use(req(world, ReadingItem(world.hot_water, "117"), key="abc"))
    assert again.replayed and again.readings == first.readings
    assert again.submitted_at == first.submitted_at
    assert await count(engine, readings, readings.c.period == 2026 * 12 + 10) == 1
    with pytest.raises(DomainError) as exc:
        await use(req(world, ReadingItem(world.hot_water, "118"), key="abc"))
    assert exc.value.code == "submission.key_reused"


async def test_a_correction_supersedes_and_history_keeps_both(uow, engine) -> None:
    world = await build_world(uow)
    use = SubmitReadings(uow, uow.submissions, uow.readings, CLOCK)
    await use(req(world, ReadingItem(world.hot_water, "117")))
    second = await use(req(world, ReadingItem(world.hot_water, "116,5")))
    assert second.readings[0].corrected
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(readings.c.value_milli, readings.c.status)
                .where(readings.c.meter_id == world.hot_water, readings.c.period == 2026 * 12 + 10)
                .order_by(readings.c.id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [(117000, "superseded"), (116500, "accepted")]


async def test_concurrent_submissions_to_one_meter_are_serialized(uow, engine) -> None:
    world = await build_world(uow)
    use = SubmitReadings(uow, uow.submissions, uow.readings, CLOCK)
    values = [f"116,{i}" for i in range(8)]
    results = await asyncio.gather(
        *(use(req(world, ReadingItem(world.hot_water, v))) for v in values)
    )
    assert len({r.readings[0].receipt for r in results}) == 8
    november = readings.c.period == 2026 * 12 + 10
    assert await count(engine, readings, november) == 8  # no lost update: all in history
    assert (
        await count(engine, readings, november, readings.c.status == "accepted") == 1
    )  # no duplicate
    assert sum(not r.readings[0].corrected for r in results) == 1


async def test_concurrent_repeats_of_one_client_key_take_effect_once(uow, engine) -> None:
    world = await build_world(uow)
    use = SubmitReadings(uow, uow.submissions, uow.readings, CLOCK)
    results = await asyncio.gather(
        *(use(req(world, ReadingItem(world.hot_water, "117"), key="same")) for _ in range(6))
    )
    assert len({r.submission_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert await count(engine, readings, readings.c.period == 2026 * 12 + 10) == 1
    assert await count(engine, submissions) == 1


async def test_several_meters_in_one_submission_land_together(uow, engine) -> None:
    world = await build_world(uow)
    clock = FakeClock(kyiv(2026, 11, 30))  # kte and YASNO both open
    items = (
        ReadingItem(world.hot_water, "117"),
        ReadingItem(world.electricity, "1100", "day"),
        ReadingItem(world.electricity, "550", "night"),
        ReadingItem(world.electricity, "1650", "total"),
    )
    result = await SubmitReadings(uow, uow.submissions, uow.readings, clock)(req(world, *items))
    assert [r.value for r in result.readings] == [
        Decimal(117),
        Decimal(1100),
        Decimal(550),
        Decimal(1650),
    ]
    assert await count(engine, readings, readings.c.submission_id == result.submission_id) == 4


async def test_concurrent_submissions_of_several_meters_are_serialized(uow, engine) -> None:
    world = await build_world(uow)
    use = SubmitReadings(uow, uow.submissions, uow.readings, FakeClock(kyiv(2026, 11, 30)))

    def items(step: int) -> tuple[ReadingItem, ...]:
        day, night = 1100 + step, 550 + step
        return (
            ReadingItem(world.electricity, str(day), "day"),
            ReadingItem(world.electricity, str(night), "night"),
            ReadingItem(world.electricity, str(day + night), "total"),
            ReadingItem(world.hot_water, f"116,{step}"),
        )

    # listed in both orders, so a lock taken in request order could deadlock
    requests = [req(world, *(items(i) if i % 2 else items(i)[::-1])) for i in range(6)]
    results = await asyncio.gather(*(use(r) for r in requests))
    assert len(results) == 6
    november = readings.c.period == 2026 * 12 + 10
    accepted = readings.c.status == "accepted"
    assert await count(engine, readings, november) == 24
    assert await count(engine, readings, november, accepted) == 4


# --- the store's one-step save, on both databases ---------------------------------------------

SINCE = BillingPeriod(2025, 8)


def draft(world, snap, value: int, *, key=None, superseded=(), revision_shift=0) -> NewSubmission:
    (ctx,) = snap.contexts
    reading = Reading(
        meter_id=world.hot_water,
        register="T1",
        period=BillingPeriod(2026, 11),
        value=Decimal(value),
        submitted_at=CLOCK.now(),
        channel=Channel.API,
        receipt=new_receipt(BillingPeriod(2026, 11)),
    )
    actor = Actor.resident(world.resident, Channel.API)
    revisions = {world.hot_water: ctx.revision + revision_shift}
    return NewSubmission(actor, key, "fp", CLOCK.now(), [reading], list(superseded), revisions)


async def written(engine) -> tuple[int, ...]:
    async with engine.connect() as conn:
        revisions = await conn.scalar(select(func.sum(meters.c.revision)))
    return (
        await count(engine, readings),
        await count(engine, submissions),
        await count(engine, audit_log),
        int(revisions or 0),
    )


async def snapshot(uow, world, key=None):
    actor = Actor.resident(world.resident, Channel.API)
    async with uow(write=True, autocommit=True):
        return await uow.submissions.snapshot(actor, key, [world.hot_water], SINCE, hold=False)


async def test_a_save_from_a_stale_snapshot_writes_nothing(uow, engine) -> None:
    world = await build_world(uow)
    snap = await snapshot(uow, world)
    await SubmitReadings(uow, uow.submissions, uow.readings, CLOCK)(
        req(world, ReadingItem(world.hot_water, "116"))
    )
    before = await written(engine)
    async with uow(write=True, autocommit=True) as u:
        assert await uow.submissions.save(draft(world, snap, 117)) is None
        await u.commit()
    assert await written(engine) == before
    fresh = await snapshot(uow, world)
    assert fresh.contexts[0].revision == snap.contexts[0].revision + 1
    assert [r.value for r in fresh.contexts[0].history["T1"]][-1] == Decimal(116)


async def test_a_save_under_a_taken_key_returns_the_first_and_writes_nothing(uow, engine) -> None:
    world = await build_world(uow)
    first = await SubmitReadings(uow, uow.submissions, uow.readings, CLOCK)(
        req(world, ReadingItem(world.hot_water, "116"), key="k")
    )
    snap = await snapshot(uow, world)  # read as if before the key was taken
    counts = (await written(engine))[:3]
    async with uow(write=True, autocommit=True) as u:
        claim = await uow.submissions.save(draft(world, snap, 117, key="k"))
        await u.commit()
    assert claim is not None and not claim.is_new and claim.submission_id == first.submission_id
    assert (await written(engine))[:3] == counts
    again = await snapshot(uow, world, key="k")
    assert again.earlier is not None and again.earlier.submission_id == first.submission_id


async def test_a_correction_of_a_reading_no_longer_accepted_fails_whole(uow, engine) -> None:
    world = await build_world(uow)
    use = SubmitReadings(uow, uow.submissions, uow.readings, CLOCK)
    await use(req(world, ReadingItem(world.hot_water, "116")))
    await use(req(world, ReadingItem(world.hot_water, "116,5")))  # supersedes the 116
    async with engine.connect() as conn:
        gone = await conn.scalar(
            select(readings.c.id).where(
                readings.c.meter_id == world.hot_water, readings.c.status == "superseded"
            )
        )
    snap = await snapshot(uow, world)
    before = await written(engine)

    async def save() -> None:
        async with uow(write=True, autocommit=True) as u:
            await uow.submissions.save(draft(world, snap, 117, superseded=[gone]))
            await u.commit()

    with pytest.raises(StaleCorrection):
        await save()
    assert await written(engine) == before
