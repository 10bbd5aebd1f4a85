"""ReplyBySms: the SMS door's answer to one inbound message (ADR 0026), written to the outbox
with the record that the message was answered, in one transaction; the worker sends it through
the SMS gateway (DeliverOutbox).

Who may call it: the SMS door, for a message its gateway vouches for (signed callback).
Guarantees: the same gateway message id is answered once, however often the gateway retries
it (`answered` says so before any work; `__call__` returns False and writes nothing when the id
was answered meanwhile).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from komunalka.application.shared.ports import Clock, Outbox, OutgoingMessage
from komunalka.application.shared.transactions import Transactions


class InboundSms(Protocol):
    async def answered(self, gateway_id: str) -> bool: ...

    async def record(self, gateway_id: str, phone: str, at: datetime) -> bool:
        """The message is answered now; False (nothing written) when it already was."""
        ...


class ReplyBySms:
    def __init__(
        self, transactions: Transactions, inbound: InboundSms, outbox: Outbox, clock: Clock
    ) -> None:
        self._transactions = transactions
        self._inbound = inbound
        self._outbox = outbox
        self._clock = clock

    async def answered(self, gateway_id: str) -> bool:
        async with self._transactions() as tx:
            done = await self._inbound.answered(gateway_id[:100])
            await tx.commit()
        return done

    async def __call__(self, gateway_id: str, phone: str, text: str) -> bool:
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            if not await self._inbound.record(gateway_id[:100], phone[:16], now):
                return False
            await self._outbox.add(OutgoingMessage("sms", phone, "", text), now)
            await tx.commit()
        return True
