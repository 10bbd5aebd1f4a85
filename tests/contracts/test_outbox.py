"""Contract of the outbox with its lease (ADR 0012): claims, attempts, outcomes and the unknown
fate, on the fake and both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from komunalka.application.shared.ports import OutgoingMessage

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)
LEASE = timedelta(minutes=2)


async def _add(storage: Any, count: int) -> list[OutgoingMessage]:
    messages = [OutgoingMessage("email", f"{n}@example.com", f"s{n}", "body") for n in range(count)]
    async with storage(write=True) as tx:
        for n, message in enumerate(messages):
            await storage.outbox.add(message, AT + timedelta(seconds=n))
        await tx.commit()
    return messages


async def _claim(storage: Any, worker: str, limit: int = 10, at: datetime = AT) -> Any:
    async with storage(write=True) as tx:
        claim = await storage.outbox.claim(worker, limit, at, LEASE)
        await tx.commit()
    return claim


async def _begin(storage: Any, message_id: int, worker: str, at: datetime = AT) -> bool:
    async with storage(write=True) as tx:
        ours = await storage.outbox.begin_attempt(message_id, worker, at, at + LEASE)
        await tx.commit()
    return bool(ours)


async def test_a_claim_takes_waiting_messages_oldest_first_and_once(storage: Any) -> None:
    messages = await _add(storage, 3)
    first = await _claim(storage, "a", limit=2)
    assert [c.message for c in first.messages] == messages[:2]
    assert [c.attempts for c in first.messages] == [0, 0]
    second = await _claim(storage, "b")
    assert [c.message for c in second.messages] == messages[2:]
    assert (await _claim(storage, "c")).messages == []


async def test_only_the_claimer_may_begin_an_attempt_within_its_lease(storage: Any) -> None:
    await _add(storage, 1)
    (claimed,) = (await _claim(storage, "a")).messages
    assert not await _begin(storage, claimed.id, "b")
    assert not await _begin(storage, claimed.id, "a", AT + LEASE)
    assert await _begin(storage, claimed.id, "a")
    assert not await _begin(storage, claimed.id, "a")  # once


async def test_a_claim_never_tried_goes_to_the_next_worker_after_its_lease(storage: Any) -> None:
    messages = await _add(storage, 1)
    (claimed,) = (await _claim(storage, "a")).messages
    assert (await _claim(storage, "b", at=AT + LEASE - timedelta(seconds=1))).messages == []
    later = await _claim(storage, "b", at=AT + LEASE)
    assert ([c.message for c in later.messages], later.unknown) == (messages, 0)
    assert not await _begin(storage, claimed.id, "a", AT + LEASE)  # a's turn has passed
    assert await _begin(storage, claimed.id, "b", AT + LEASE)


async def test_an_attempt_abandoned_past_its_lease_is_counted_unknown_once(storage: Any) -> None:
    await _add(storage, 1)
    (claimed,) = (await _claim(storage, "a")).messages
    assert await _begin(storage, claimed.id, "a")
    assert (await _claim(storage, "b", at=AT + LEASE - timedelta(seconds=1))).unknown == 0
    after = await _claim(storage, "b", at=AT + LEASE)
    assert (after.messages, after.unknown) == ([], 1)
    again = await _claim(storage, "c", at=AT + 10 * LEASE)
    assert (again.messages, again.unknown) == ([], 0)


async def test_a_sent_message_is_not_claimed_again(storage: Any) -> None:
    await _add(storage, 1)
    (claimed,) = (await _claim(storage, "a")).messages
    assert await _begin(storage, claimed.id, "a")
    async with storage(write=True) as tx:
        await storage.outbox.mark_sent(claimed.id, AT)
        await tx.commit()
    later = await _claim(storage, "b", at=AT + 10 * LEASE)
    assert (later.messages, later.unknown) == ([], 0)


async def test_a_failed_attempt_waits_for_its_retry_time_or_is_given_up(storage: Any) -> None:
    await _add(storage, 2)
    retried, dropped = (await _claim(storage, "a")).messages
    for claimed in (retried, dropped):
        assert await _begin(storage, claimed.id, "a")
    async with storage(write=True) as tx:
        await storage.outbox.mark_failed(retried.id, "timeout", AT + timedelta(minutes=5))
        await storage.outbox.mark_failed(dropped.id, "refused", None)
        await tx.commit()
    assert (await _claim(storage, "b", at=AT + timedelta(minutes=4))).messages == []
    later = await _claim(storage, "b", at=AT + timedelta(minutes=5))
    assert [(c.id, c.attempts) for c in later.messages] == [(retried.id, 1)]
    assert (await _claim(storage, "c", at=AT + timedelta(minutes=6))).messages == []  # b's
