"""DeliverOutbox: sends the messages other use cases wrote to the outbox, after their
transactions committed.

Who may call it: the process's dispatcher (the web service runs one in the background) and the
command line. Guarantees: a message is marked sent only after its sender accepted it; one that
fails stays unsent and is tried again on the next round, after the others (at least once: a
crash between sending and marking may send a message twice, never lose it). One dispatcher per
database is assumed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from komunalka.application.notifications.ports import MessageSender
from komunalka.application.shared.ports import Clock, Outbox
from komunalka.application.shared.transactions import Transactions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryRound:
    sent: int
    failed: int


class DeliverOutbox:
    def __init__(
        self,
        transactions: Transactions,
        outbox: Outbox,
        senders: dict[str, MessageSender],
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._outbox = outbox
        self._senders = senders
        self._clock = clock

    async def __call__(self, limit: int = 100) -> DeliveryRound:
        async with self._transactions():
            pending = await self._outbox.unsent(limit)
        sent = failed = 0
        for message_id, message in pending:
            sender = self._senders.get(message.channel)
            try:
                if sender is None:
                    raise LookupError(f"no sender for channel {message.channel!r}")
                await sender.send(message)
            except Exception:  # a failed message must not stop the others
                log.warning("outbox message %s not sent; will retry", message_id, exc_info=True)
                failed += 1
                continue
            async with self._transactions(write=True) as tx:
                await self._outbox.mark_sent(message_id, self._clock.now())
                await tx.commit()
            sent += 1
        return DeliveryRound(sent, failed)
