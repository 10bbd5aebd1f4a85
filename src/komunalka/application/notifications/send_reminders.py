"""SendReminders: sends the reminders whose moment has come, within quiet hours.

Who may call it: the worker's schedule (every few seconds; any number of workers at once) and
`komunalka worker --once`. Guarantees: a round claims reminders with a lease, so none goes to
two workers; each is worded when it is sent, from what is due at that moment: a resident who
sent meanwhile gets nothing ("skipped"), and one message lists everything the resident still
owes, per supplier with its last day, so their other reminders of that day go with it
("merged"). Each attempt is recorded (committed) before the send and its outcome after it; a
send whose outcome was never recorded is counted "unknown" and never resent by itself
(messengers take no idempotency key). A resident who blocked the bot is marked unreachable and
gets nothing more there until they write again; a transient fault is retried with a capped,
doubling delay.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from komunalka.application.notifications import ports as states
from komunalka.application.notifications.channels import (
    FINAL_STATES,
    Notice,
    NoticeSender,
    Outcome,
    RoundTally,
    SendResult,
)
from komunalka.application.notifications.deliver_outbox import RetryPolicy, worker_name
from komunalka.application.notifications.ports import (
    ClaimedReminder,
    DueSupplier,
    LinkedMeter,
    ReminderBook,
    ReminderWording,
)
from komunalka.application.shared.ports import Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.reminders import QuietHours
from komunalka.domain.windows import WindowRule


@dataclass(frozen=True, slots=True)
class SendRound(RoundTally):
    sent: int = 0
    merged: int = 0
    skipped: int = 0
    expired: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    dropped: int = 0
    unknown: int = 0


class SendReminders:
    def __init__(
        self,
        transactions: Transactions,
        book: ReminderBook,
        wording: ReminderWording,
        senders: Mapping[str, NoticeSender],
        clock: Clock,
        *,
        quiet: QuietHours | None = None,
        policy: RetryPolicy | None = None,
        worker: str | None = None,
        batch: int = 100,
        chunk: int = 25,
        drain: timedelta = timedelta(0),
    ) -> None:
        """`batch`: reminders claimed a round; `chunk`: sent before their outcomes are
        recorded (about a second's worth at Telegram's rate); `drain`: how long a call goes on
        with further rounds while they come back full (0: one round)."""
        self._transactions = transactions
        self._book = book
        self._wording = wording
        self._senders = senders
        self._clock = clock
        self._quiet = quiet or QuietHours()
        self._policy = policy or RetryPolicy()
        self._worker = worker or worker_name()
        self._batch = batch
        self._chunk = chunk
        self._drain = drain

    async def __call__(self, limit: int | None = None) -> SendRound:
        """Rounds of `limit` (the batch) while each comes back full and `drain` has not passed:
        a worker keeps the channel busy between the schedule's kicks."""
        limit = limit or self._batch
        started = self._clock.now()
        tally: dict[str, int] = defaultdict(int)
        while True:
            claimed = await self._round(limit, tally)
            if claimed < limit or self._clock.now() - started >= self._drain:
                return SendRound.of(tally)

    async def _round(self, limit: int, tally: dict[str, int]) -> int:
        """One round, its outcomes added to `tally`; how many reminders it claimed."""
        now = self._clock.now()
        if not self._quiet.allows(now):
            return 0
        async with self._transactions(write=True) as tx:
            claim = await self._book.claim(self._worker, limit, now, self._policy.lease)
            await tx.commit()
        tally["unknown"] += claim.unknown
        batches: dict[str, list[tuple[ClaimedReminder, Notice]]] = defaultdict(list)
        leaders, followers = _one_per_resident(claim.reminders)
        for claimed in leaders:
            worded = await self._word(claimed, now)
            if isinstance(worded, str):
                group = [claimed, *followers.get(claimed.id, [])]
                await self._finish(group, worded, now)
                tally[worded] += len(group)
            else:
                batches[worded.channel].append((claimed, worded))
        for channel, batch in batches.items():
            # A chunk at a time, each recorded before the next goes: a worker killed mid-round
            # leaves at most one chunk's fate unknown.
            for start in range(0, len(batch), self._chunk):
                chunk = batch[start : start + self._chunk]
                for outcome, count in (await self._send(channel, chunk, followers)).items():
                    tally[outcome] += count
        return len(claim.reminders)

    async def _word(self, claimed: ClaimedReminder, now: datetime) -> Notice | str:
        """The notice to send, or why none is sent ("skipped", "expired")."""
        async with self._transactions() as tx:
            meters = await self._book.linked_meters(claimed.recipient.resident_id)
            await tx.commit()
        if claimed.kind.about_verification:
            due_meters = [
                m
                for m in meters
                if m.supplier_id == claimed.supplier_id
                and m.verification_due is not None
                and m.verification_due.year * 12 + m.verification_due.month - 1 == claimed.period
            ]
            if not due_meters:
                return states.SKIPPED
            return self._wording.verification_notice(claimed.recipient, claimed.kind, due_meters)
        due, own_window_open = due_suppliers(meters, claimed.supplier_id, now)
        if not own_window_open:
            return states.EXPIRED
        if not due:
            return states.SKIPPED
        return self._wording.window_notice(claimed.recipient, due)

    async def _send(
        self,
        channel: str,
        batch: list[tuple[ClaimedReminder, Notice]],
        followers: dict[int, list[ClaimedReminder]],
    ) -> dict[str, int]:
        now = self._clock.now()
        until = now + self._policy.lease
        async with self._transactions(write=True) as tx:
            ours = []
            for claimed, notice in batch:
                if await self._book.begin_attempt(claimed.id, self._worker, now, until):
                    ours.append((claimed, notice))
                    # Its followers go with it: should the worker die now, they are as
                    # unknown as their leader, never sent again by themselves.
                    for follower in followers.get(claimed.id, []):
                        await self._book.begin_attempt(follower.id, self._worker, now, until)
            await tx.commit()
        sender = self._senders.get(channel)
        if sender is None:
            no_sender = SendResult(Outcome.FAILED, f"no sender for channel {channel!r}")
            results = [no_sender] * len(ours)
        else:
            results = await sender.send([notice for _, notice in ours])
        counts: dict[str, int] = defaultdict(int)
        async with self._transactions(write=True) as tx:
            for (claimed, _), result in zip(ours, results, strict=True):
                outcome, merged = await self._record(claimed, result, followers.get(claimed.id, []))
                counts[outcome] += 1
                counts[states.MERGED] += merged
            await tx.commit()
        return counts

    async def _record(
        self, claimed: ClaimedReminder, result: SendResult, followers: list[ClaimedReminder]
    ) -> tuple[str, int]:
        """Records one send's outcome in the open transaction: the tally's name for it and how
        many other reminders went with it."""
        now = self._clock.now()
        if result.outcome is Outcome.RETRY:
            retry_at = self._policy.retry_at(now, claimed.attempts + 1)
            if retry_at is not None:
                if result.retry_after:
                    retry_at = max(retry_at, now + timedelta(seconds=result.retry_after))
                await self._book.retry(claimed.id, retry_at, result.detail)
                await self._follow(claimed, followers, "retried", retry_at)
                return "retried", 0
            state = states.FAILED
        else:
            state = FINAL_STATES[result.outcome]
        await self._book.finish(claimed.id, state, now, result.detail, result.billing_status)
        merged = await self._follow(claimed, followers, state, None)
        if state == states.SENT and not claimed.kind.about_verification:
            merged += await self._book.merge_into(
                claimed.id, claimed.recipient.resident_id, self._quiet.closing(now)
            )
        elif state == states.UNREACHABLE:
            await self._book.mark_unreachable(
                claimed.recipient.channel, claimed.recipient.address, now
            )
        return state, merged

    async def _finish(self, group: list[ClaimedReminder], state: str, now: datetime) -> None:
        async with self._transactions(write=True) as tx:
            for each in group:
                await self._book.finish(each.id, state, now)
            await tx.commit()

    async def _follow(
        self,
        leader: ClaimedReminder,
        followers: list[ClaimedReminder],
        state: str,
        retry_at: datetime | None,
    ) -> int:
        """The leader's other window reminders in this claim share its fate: merged into it
        when it went, tried again with it, or given up with it."""
        now = self._clock.now()
        for follower in followers:
            if retry_at is not None:
                await self._book.retry(follower.id, retry_at, f"with {leader.id}")
            else:
                final = states.MERGED if state == states.SENT else state
                await self._book.finish(follower.id, final, now, f"with {leader.id}")
        return len(followers) if state == states.SENT else 0


def _one_per_resident(
    claimed: list[ClaimedReminder],
) -> tuple[list[ClaimedReminder], dict[int, list[ClaimedReminder]]]:
    """The reminders to word, and for each the resident's other window reminders in the same
    claim, which its message covers (a worker back after a day away claims a resident's
    "opens", "before close" and "last day" at once: one message, not three)."""
    leaders: list[ClaimedReminder] = []
    first: dict[int, ClaimedReminder] = {}
    followers: dict[int, list[ClaimedReminder]] = defaultdict(list)
    for each in claimed:
        resident = each.recipient.resident_id
        if each.kind.about_verification:
            leaders.append(each)
        elif resident in first:
            followers[first[resident].id].append(each)
        else:
            first[resident] = each
            leaders.append(each)
    return leaders, followers


def due_suppliers(
    meters: list[LinkedMeter], supplier_id: int, now: datetime
) -> tuple[list[DueSupplier], bool]:
    """What the resident still owes each supplier whose window is open now (meters without a
    reading for its period), and whether `supplier_id`'s own window is open."""
    grouped: dict[int, DueSupplier] = {}
    own_open = False
    for meter in meters:
        rule = WindowRule.parse(meter.window_rule, meter.timezone)
        window = rule.window_at(now)
        if window is None:
            continue
        own_open = own_open or meter.supplier_id == supplier_id
        read = meter.last_read_period
        if read is not None and read >= window.period.index:
            continue
        last_day = (window.closes_at - timedelta(microseconds=1)).astimezone(rule.zone).date()
        entry = grouped.setdefault(
            meter.supplier_id, DueSupplier(meter.supplier_name, last_day, [])
        )
        entry.meters.append(meter)
    return sorted(grouped.values(), key=lambda due: (due.last_day, due.supplier_name)), own_open
