"""Several outbox workers on one database (ADR 0012): running at once they send every message
exactly once; a worker that dies mid-send leaves what it never tried to the next one and what
it was sending counted as unknown, never sent again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.storage import SqlStorage
from komunalka.application.notifications.deliver_outbox import (
    DeliverOutbox,
    DeliveryRound,
    RetryPolicy,
)
from komunalka.application.shared.ports import OutgoingMessage
from tests.fakes import FakeClock, kyiv

LEASE = RetryPolicy().lease


class SlowSender:
    """Takes a moment per message and remembers whom it wrote to."""

    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def send(self, message: OutgoingMessage) -> None:
        await asyncio.sleep(0.005)
        self.recipients.append(message.recipient)


async def _add(storage: SqlStorage, count: int, clock: FakeClock) -> list[str]:
    recipients = [f"{n}@example.com" for n in range(count)]
    async with storage(write=True) as tx:
        for recipient in recipients:
            await storage.outbox.add(OutgoingMessage("email", recipient, "s", "b"), clock.now())
        await tx.commit()
    return recipients


def _worker(storage: SqlStorage, sender: SlowSender, clock: FakeClock, name: str) -> DeliverOutbox:
    return DeliverOutbox(storage, storage.outbox, {"email": sender}, clock, worker=name)


async def test_two_workers_at_once_send_every_message_exactly_once(
    engine: AsyncEngine, database_url: str
) -> None:
    clock = FakeClock(kyiv(2026, 11, 20))
    recipients = await _add(SqlStorage(engine), 40, clock)
    other = create_engine(database_url)
    sender = SlowSender()
    workers = [
        _worker(SqlStorage(engine), sender, clock, "a"),
        _worker(SqlStorage(other), sender, clock, "b"),
    ]

    async def drain(deliver: DeliverOutbox) -> int:
        total = 0
        while (done := await deliver(limit=3)).sent:
            total += done.sent
        return total

    try:
        counts = await asyncio.gather(*(drain(w) for w in workers))
    finally:
        await other.dispose()
    assert sorted(sender.recipients) == sorted(recipients)
    assert sum(counts) == len(recipients)


async def test_a_dead_worker_leaves_untried_messages_and_counts_its_send_unknown(
    engine: AsyncEngine,
) -> None:
    clock = FakeClock(kyiv(2026, 11, 20))
    storage = SqlStorage(engine)
    sending, untried = await _add(storage, 2, clock)
    async with storage(write=True) as tx:  # the dead worker's claim and its first attempt
        claim = await storage.outbox.claim("dead", 10, clock.now(), LEASE)
        await tx.commit()
    async with storage(write=True) as tx:
        first = claim.messages[0].id
        assert await storage.outbox.begin_attempt(first, "dead", clock.now(), clock.now() + LEASE)
        await tx.commit()
    sender = SlowSender()
    heir = _worker(storage, sender, clock, "heir")
    assert await heir() == DeliveryRound()  # within the lease nothing is free
    clock.instant += LEASE
    done = await heir()
    assert (done.sent, done.unknown, sender.recipients) == (1, 1, [untried])
    clock.instant += timedelta(days=1)
    assert (await heir()).sent == 0
    assert sender.recipients == [untried]
    assert sending not in sender.recipients
