"""SendAlerts: tells residents of a month's use far above their meter's usual (ADR 0025).

Who may call it: the worker's schedule (any number of workers at once) and `komunalka worker
--once`. Guarantees: a round claims waiting notices with a lease, so none goes to two workers;
each attempt is recorded (committed) before the send and its outcome after it; a send whose
outcome was never recorded is counted "unknown" and never resent by itself. A notice whose
reading was corrected meanwhile is withdrawn; one with nowhere to go stays for the cabinet
("no_channel"). A transient fault is retried with a capped, doubling delay; a resident who
blocked the bot is marked unreachable there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from komunalka.application.notifications import alerts as states
from komunalka.application.notifications.alerts import (
    AlertBook,
    AlertWording,
    ClaimedAlert,
    Unreachables,
)
from komunalka.application.notifications.channels import (
    FINAL_STATES,
    NoticeSender,
    Outcome,
    RoundTally,
    SendResult,
)
from komunalka.application.notifications.deliver_outbox import RetryPolicy, worker_name
from komunalka.application.shared.ports import Clock
from komunalka.application.shared.transactions import Transactions


@dataclass(frozen=True, slots=True)
class AlertRound(RoundTally):
    sent: int = 0
    withdrawn: int = 0
    no_channel: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    dropped: int = 0
    unknown: int = 0


class SendAlerts:
    def __init__(
        self,
        transactions: Transactions,
        book: AlertBook,
        unreachables: Unreachables,
        wording: AlertWording,
        senders: Mapping[str, NoticeSender],
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        worker: str | None = None,
    ) -> None:
        self._transactions = transactions
        self._book = book
        self._unreachables = unreachables
        self._wording = wording
        self._senders = senders
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._worker = worker or worker_name()

    async def __call__(self, limit: int = 100) -> AlertRound:
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            claim = await self._book.claim(self._worker, limit, now, self._policy.lease)
            await tx.commit()
        tally: dict[str, int] = defaultdict(int)
        tally["unknown"] = claim.unknown
        for alert in claim.alerts:
            tally[await self._deliver(alert)] += 1  # "lost": another worker has it now
        return AlertRound.of(tally)

    async def _deliver(self, alert: ClaimedAlert) -> str:
        now = self._clock.now()
        if not alert.current or alert.recipient is None:
            state = states.WITHDRAWN if not alert.current else states.NO_CHANNEL
            async with self._transactions(write=True) as tx:
                await self._book.finish(alert.id, state, now)
                await tx.commit()
            return state
        recipient = alert.recipient
        async with self._transactions(write=True) as tx:
            ours = await self._book.begin_attempt(
                alert.id, self._worker, now, now + self._policy.lease
            )
            await tx.commit()
        if not ours:  # the lease ran out before we got to it: another worker has it
            return "lost"
        sender = self._senders.get(recipient.channel)
        notice = self._wording.alert_notice(alert, recipient)
        if sender is None:
            result = SendResult(Outcome.FAILED, f"no sender for channel {recipient.channel!r}")
        else:
            (result,) = await sender.send([notice])
        return await self._record(alert, result)

    async def _record(self, alert: ClaimedAlert, result: SendResult) -> str:
        now = self._clock.now()
        recipient = alert.recipient
        assert recipient is not None
        async with self._transactions(write=True) as tx:
            if result.outcome is Outcome.RETRY:
                retry_at = self._policy.retry_at(now, alert.attempts + 1)
                if retry_at is not None:
                    if result.retry_after:
                        retry_at = max(retry_at, now + timedelta(seconds=result.retry_after))
                    await self._book.retry(alert.id, retry_at, result.detail)
                    await tx.commit()
                    return "retried"
                state = states.FAILED
            else:
                state = FINAL_STATES[result.outcome]
            await self._book.finish(alert.id, state, now, recipient.channel, result.detail)
            if state == states.UNREACHABLE:
                await self._unreachables.mark_unreachable(recipient.channel, recipient.address, now)
            await tx.commit()
        return state
