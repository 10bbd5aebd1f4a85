"""Contract of the reminders' claims and outcomes (ReminderBook, the outbox's lease of ADR
0012): claims honour each moment, paused rules and leases; an attempt begun and never finished
is counted unknown once; retries, outcomes, merges and cancellations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from komunalka.domain.reminders import ReminderRule, RuleKind, from_epoch
from tests.contracts.reminder_world import (
    AT,
    SPAN,
    ReminderWorld,
    build_reminder_world,
    counts,
    plan,
)

LEASE = timedelta(minutes=2)
END = from_epoch(SPAN.start + SPAN.seconds)  # every moment of the span is past


async def _claim(storage: Any, worker: str, at: datetime = END, limit: int = 100) -> Any:
    async with storage(write=True) as tx:
        claim = await storage.reminder_book.claim(worker, limit, at, LEASE)
        await tx.commit()
    return claim


async def _begin(storage: Any, reminder_id: int, worker: str, at: datetime = END) -> bool:
    async with storage(write=True) as tx:
        ours = await storage.reminder_book.begin_attempt(reminder_id, worker, at, at + LEASE)
        await tx.commit()
    return bool(ours)


async def _planned(storage: Any) -> ReminderWorld:
    world = await build_reminder_world(storage)
    assert await plan(storage, world) == 3
    return world


async def test_a_claim_takes_due_reminders_earliest_first_and_once(storage: Any) -> None:
    world = await _planned(storage)
    first = await _claim(storage, "a", limit=2)
    second = await _claim(storage, "b")
    ids = [c.id for c in first.reminders + second.reminders]
    assert len(first.reminders) == 2 and len(set(ids)) == 3
    residents = [c.recipient.resident_id for c in first.reminders + second.reminders]
    assert residents == sorted(residents, key=SPAN.moment)
    assert [c.attempts for c in first.reminders] == [0, 0]
    assert (await _claim(storage, "c")).reminders == []
    assert world.opens in {c.rule_id for c in second.reminders}


async def test_a_paused_rule_keeps_its_reminders_waiting(storage: Any) -> None:
    world = await _planned(storage)
    opens = ReminderRule(world.kte, RuleKind.OPENS, id=world.opens)
    for paused, expected in ((True, 0), (False, 3)):
        async with storage(write=True) as tx:
            await storage.reminder_rules.save(
                ReminderRule(world.kte, RuleKind.OPENS, 0, True, paused)
            )
            await tx.commit()
        assert len((await _claim(storage, "a")).reminders) == expected
    async with storage() as tx:
        assert (await storage.reminder_rules.stored(world.kte))[0] == opens
        await tx.commit()


async def test_a_claim_never_tried_goes_to_the_next_worker_after_its_lease(storage: Any) -> None:
    await _planned(storage)
    claimed = (await _claim(storage, "a")).reminders
    assert (await _claim(storage, "b", END + LEASE - timedelta(seconds=1))).reminders == []
    later = await _claim(storage, "b", END + LEASE)
    assert ([c.id for c in later.reminders], later.unknown) == ([c.id for c in claimed], 0)
    first = claimed[0].id
    assert not await _begin(storage, first, "a", END + LEASE)  # a's turn has passed
    assert await _begin(storage, first, "b", END + LEASE)


async def test_only_the_claimer_may_begin_an_attempt_within_its_lease(storage: Any) -> None:
    await _planned(storage)
    first = (await _claim(storage, "a")).reminders[0].id
    assert not await _begin(storage, first, "b")
    assert not await _begin(storage, first, "a", END + LEASE)
    assert await _begin(storage, first, "a")
    assert not await _begin(storage, first, "a")  # once


async def test_an_attempt_abandoned_past_its_lease_is_counted_unknown_once(storage: Any) -> None:
    world = await _planned(storage)
    first, *rest = (await _claim(storage, "a")).reminders
    assert await _begin(storage, first.id, "a")
    assert (await _claim(storage, "b", END + LEASE - timedelta(seconds=1))).unknown == 0
    after = await _claim(storage, "b", END + LEASE)
    assert ({c.id for c in after.reminders}, after.unknown) == ({c.id for c in rest}, 1)
    again = await _claim(storage, "c", END + 10 * LEASE)
    assert again.unknown == 0
    assert (await counts(storage, world))[world.opens] == {"planned": 2, "unknown": 1}


async def test_an_outcome_is_final_and_a_retry_waits_for_its_time(storage: Any) -> None:
    world = await _planned(storage)
    sent, retried, skipped = (await _claim(storage, "a")).reminders
    for c in (sent, retried):
        assert await _begin(storage, c.id, "a")
    later = END + timedelta(hours=1)
    async with storage(write=True) as tx:
        await storage.reminder_book.finish(sent.id, "sent", END, "ok", billing_status=200)
        await storage.reminder_book.retry(retried.id, later, "timeout")
        await storage.reminder_book.finish(skipped.id, "skipped", END)
        await tx.commit()
    assert (await _claim(storage, "b", later - timedelta(seconds=1))).reminders == []
    again = await _claim(storage, "b", later)
    assert [(c.id, c.attempts) for c in again.reminders] == [(retried.id, 1)]
    assert (await counts(storage, world))[world.opens] == {"sent": 1, "planned": 1, "skipped": 1}
    async with storage(write=True) as tx:  # a retry of what is finished changes nothing
        await storage.reminder_book.retry(sent.id, later, "late")
        await tx.commit()
    assert (await counts(storage, world))[world.opens]["sent"] == 1


async def test_a_residents_other_reminders_due_before_merge_into_the_one_sent(
    storage: Any,
) -> None:
    world = await _planned(storage)
    assert await plan(storage, world, world.before_close) == 3
    email = world.residents.email
    claimed = [
        c for c in (await _claim(storage, "a")).reminders if c.recipient.resident_id == email
    ]
    assert {c.rule_id for c in claimed} == {world.opens, world.before_close}
    one = claimed[0]
    async with storage(write=True) as tx:
        assert await storage.reminder_book.merge_into(one.id, email, AT) == 0  # none due before
        assert await storage.reminder_book.merge_into(one.id, email, END + timedelta(1)) == 1
        assert await storage.reminder_book.merge_into(one.id, email, END + timedelta(1)) == 0
        await tx.commit()
    merged = {world.opens: {"planned": 3}, world.before_close: {"planned": 3}}
    other = world.before_close if one.rule_id == world.opens else world.opens
    merged[other] = {"planned": 2, "merged": 1}
    assert await counts(storage, world) == merged


async def test_a_resident_who_turns_reminders_off_has_every_planned_one_cancelled(
    storage: Any,
) -> None:
    world = await _planned(storage)
    assert await plan(storage, world, world.before_close) == 3
    async with storage(write=True) as tx:
        assert await storage.reminder_book.cancel(world.residents.email, AT) == 2
        assert await storage.reminder_book.cancel(world.residents.email, AT) == 0
        await tx.commit()
    expected = {"planned": 2, "cancelled": 1}
    assert await counts(storage, world) == {world.opens: expected, world.before_close: expected}
    claimed = (await _claim(storage, "a")).reminders
    assert world.residents.email not in {c.recipient.resident_id for c in claimed}
