"""QueueMessage: a message a door has worded goes to the outbox, to be sent by DeliverOutbox.

Who may call it: a door, for a message to a person it may write to (the web cabinet sends a
password reset this way, to the login the reset was issued for). Guarantees: the message is
written to the outbox in its own transaction and sent after it commits, at least once.
"""

from __future__ import annotations

from komunalka.application.notifications.ports import Outbox, OutgoingMessage
from komunalka.application.shared.ports import Clock
from komunalka.application.shared.transactions import Transactions


class QueueMessage:
    def __init__(self, transactions: Transactions, outbox: Outbox, clock: Clock) -> None:
        self._transactions = transactions
        self._outbox = outbox
        self._clock = clock

    async def __call__(self, message: OutgoingMessage) -> None:
        async with self._transactions(write=True) as tx:
            await self._outbox.add(message, self._clock.now())
            await tx.commit()
