"""DeliverOutbox: sends the messages other use cases wrote to the outbox, after their
transactions committed; any number of workers may run it at once (ADR 0012).

Who may call it: the process's dispatcher (the web service runs one in the background), the
command line, a worker. Guarantees: a round claims up to `limit` messages for this worker for
`lease`; before each send it records the attempt (committed), after it the outcome. So a
message claimed by one worker is never sent by another, and one whose worker died before trying
goes to the next worker after the lease. A message whose worker died between the attempt and
its outcome may or may not have gone: it is counted as unknown, never sent again by itself.
A failed send is tried again after a capped, doubling delay, up to `max_attempts` tries.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from komunalka.application.notifications.ports import MessageSender
from komunalka.application.shared.ports import ClaimedMessage, Clock, Outbox
from komunalka.application.shared.transactions import Transactions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryRound:
    """`retried`: failed this time, to be tried again later; `failed`: given up after the last
    attempt; `unknown`: attempts found abandoned, whose fate nobody knows (not resent)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long a claim lasts and when a failed message is tried again: `first_delay` doubled
    after each failure, at most `max_delay`; after `max_attempts` tries it is given up."""

    lease: timedelta = timedelta(minutes=2)
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 8

    def retry_at(self, now: datetime, attempts: int) -> datetime | None:
        """When to try again after `attempts` failed tries; None to give up."""
        if attempts >= self.max_attempts:
            return None
        return now + min(self.first_delay * (1 << min(attempts - 1, 20)), self.max_delay)


def worker_name() -> str:
    """A name unique to this sender: the process and a random part."""
    return f"pid{os.getpid()}-{uuid.uuid4().hex[:8]}"


class DeliverOutbox:
    def __init__(
        self,
        transactions: Transactions,
        outbox: Outbox,
        senders: dict[str, MessageSender],
        clock: Clock,
        *,
        worker: str | None = None,
        policy: RetryPolicy = RetryPolicy(),
    ) -> None:
        self._transactions = transactions
        self._outbox = outbox
        self._senders = senders
        self._clock = clock
        self._worker = worker or worker_name()
        self._policy = policy

    async def __call__(self, limit: int = 100) -> DeliveryRound:
        async with self._transactions(write=True) as tx:
            claim = await self._outbox.claim(
                self._worker, limit, self._clock.now(), self._policy.lease
            )
            await tx.commit()
        if claim.unknown:
            log.warning("outbox: %s messages abandoned mid-send, fate unknown", claim.unknown)
        outcomes = [await self._deliver(claimed) for claimed in claim.messages]
        return DeliveryRound(
            sent=outcomes.count("sent"),
            retried=outcomes.count("retried"),
            failed=outcomes.count("failed"),
            unknown=claim.unknown,
        )

    async def _deliver(self, claimed: ClaimedMessage) -> str:
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            ours = await self._outbox.begin_attempt(
                claimed.id, self._worker, now, now + self._policy.lease
            )
            await tx.commit()
        if not ours:  # the lease ran out before we got to it: another worker has it
            return "lost"
        sender = self._senders.get(claimed.message.channel)
        try:
            if sender is None:
                raise LookupError(f"no sender for channel {claimed.message.channel!r}")
            await sender.send(claimed.message)
        except Exception as error:  # a failed message must not stop the others
            return await self._failed(claimed, error)
        async with self._transactions(write=True) as tx:
            await self._outbox.mark_sent(claimed.id, self._clock.now())
            await tx.commit()
        return "sent"

    async def _failed(self, claimed: ClaimedMessage, error: Exception) -> str:
        retry_at = self._policy.retry_at(self._clock.now(), claimed.attempts + 1)
        log.warning(
            "outbox message %s not sent (attempt %s); %s",
            claimed.id,
            claimed.attempts + 1,
            "will retry" if retry_at else "giving up",
            exc_info=True,
        )
        async with self._transactions(write=True) as tx:
            await self._outbox.mark_failed(claimed.id, repr(error), retry_at)
            await tx.commit()
        return "failed" if retry_at is None else "retried"
