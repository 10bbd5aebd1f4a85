"""SubmitReadings: one or many registers of one or many meters, all or nothing.

Who may call it: a resident for the meters of accounts linked to them; staff and the system (whose
door has already checked their scope) for any meter. Guarantees: every value is checked against
the meter's rules and its open window; nothing is written unless everything is accepted; a
warning (rollover, a jump) passes only when the item confirms its code; a second reading of a
register in the same period corrects the first and both stay in history; under one client key a
request takes effect once and a repeat returns the first result; concurrent submissions to one
meter run one after another. Every accepted submission is audited. A month's use far above a
meter's usual (domain.consumption) never stops a reading: with an alert queue, a notice for the
resident is written in the same transaction as the readings (ADR 0025).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from komunalka.application.readings.judging import (
    Judged,
    ReadingItem,
    check_access,
    judge,
    require_corrections,
)
from komunalka.application.readings.ports import (
    AlertQueue,
    Claim,
    NewAlert,
    NewSubmission,
    SubmissionRepository,
    SubmissionSnapshot,
    unique,
)
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import Clock, ReadingRepository
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.consumption import UseLimits, unusual_use
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import PastValue, Reading, ReadingStatus, new_receipt

__all__ = [
    "AcceptedReading",
    "ReadingItem",
    "SubmitReadings",
    "SubmitReadingsRequest",
    "SubmitReadingsResult",
]

HISTORY_MONTHS = 13
MAX_ITEMS = 50


@dataclass(frozen=True, slots=True)
class SubmitReadingsRequest:
    actor: Actor
    items: Sequence[ReadingItem]
    client_key: str | None = None
    # Only corrections of this period: every item must replace a reading already accepted for it,
    # and the period's window must still be open.
    correcting: BillingPeriod | None = None


@dataclass(frozen=True, slots=True)
class AcceptedReading:
    meter_id: int
    register: str
    period: BillingPeriod
    value: Decimal
    previous: Decimal | None
    receipt: str
    corrected: bool
    # Sent early: passed on to the supplier at this moment, when the period's window opens.
    held_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SubmitReadingsResult:
    submission_id: int
    submitted_at: datetime
    readings: list[AcceptedReading] = field(default_factory=list)
    replayed: bool = False


class SubmitReadings:
    def __init__(
        self,
        transactions: Transactions,
        submissions: SubmissionRepository,
        readings: ReadingRepository,
        clock: Clock,
        *,
        alerts: AlertQueue | None = None,
        limits: UseLimits | None = None,
    ) -> None:
        self._transactions = transactions
        self._submissions = submissions
        self._readings = readings
        self._clock = clock
        self._alerts = alerts
        self._limits = limits or UseLimits()

    async def __call__(self, request: SubmitReadingsRequest) -> SubmitReadingsResult:
        _check_shape(request)
        now, fingerprint = self._clock.now(), _fingerprint(request.items)
        if len(unique(i.meter_id for i in request.items)) == 1:
            # One meter: read, judge, and write only if the meter has not moved on meanwhile,
            # each a step of its own (two round trips on PostgreSQL, no transaction held).
            # A month's use far above the usual (rare) goes the held way: its notice must be
            # written with the readings, and this way has no transaction to write it in.
            async with self._transactions(write=True, autocommit=True) as tx:
                result = await self._attempt(request, now, fingerprint, hold=False, alert=False)
                if result is not None:
                    await tx.commit()
                    return result
        # Several meters, one that changed between the read and the write, or one whose use is
        # unusual: hold the meters
        # (in id order, so two submissions never deadlock) from the read to the commit.
        async with self._transactions(write=True) as tx:
            result = await self._held(request, now, fingerprint)
            await tx.commit()
        return result

    async def within(self, request: SubmitReadingsRequest) -> SubmitReadingsResult:
        """The submission inside the write transaction the caller has open, holding its meters
        until that ends, for a use case that writes more in the same transaction (the caller
        commits, or leaves and nothing is written)."""
        _check_shape(request)
        return await self._held(request, self._clock.now(), _fingerprint(request.items))

    async def _held(
        self, request: SubmitReadingsRequest, now: datetime, fingerprint: str
    ) -> SubmitReadingsResult:
        result = await self._attempt(request, now, fingerprint, hold=True, alert=True)
        if result is None:
            raise RuntimeError("a held meter moved on before the submission was saved")
        return result

    async def _attempt(
        self,
        request: SubmitReadingsRequest,
        now: datetime,
        fingerprint: str,
        *,
        hold: bool,
        alert: bool,
    ) -> SubmitReadingsResult | None:
        """The submission judged against one snapshot; None when a meter moved on before the
        write, or when it raises an alert and `alert` is false (nothing was written)."""
        # periods run at most a month behind the calendar: this covers every window rule
        since = BillingPeriod(now.year, now.month).shift(-HISTORY_MONTHS - 2)
        ids = unique(i.meter_id for i in request.items)
        snap = await self._submissions.snapshot(
            request.actor, request.client_key, ids, since, hold=hold
        )
        if snap.earlier is not None:
            return await self._replay(snap.earlier, fingerprint)
        judged = _judged(request, ids, snap, now)
        readings = [_reading(j, now, request.actor) for j in judged]
        alerts = self._unusual(request, snap, readings, now)
        if alerts and not alert:
            return None
        revisions = {c.meter.id: c.revision for c in snap.contexts}
        superseded = [j.current.id for j in judged if j.current is not None and j.current.id]
        new = NewSubmission(
            request.actor, request.client_key, fingerprint, now, readings, superseded, revisions
        )
        claim = await self._submissions.save(new)
        if claim is None:
            return None
        if not claim.is_new:  # the same key was used meanwhile: its result, not ours
            return await self._replay(claim, fingerprint)
        if alerts and self._alerts is not None:
            await self._alerts.add(alerts)
        accepted = [
            AcceptedReading(
                r.meter_id,
                r.register,
                r.period,
                r.value,
                j.previous,
                r.receipt,
                j.current is not None,
                j.held_until,
            )
            for r, j in zip(readings, judged, strict=True)
        ]
        return SubmitReadingsResult(claim.submission_id, now, accepted)

    def _unusual(
        self,
        request: SubmitReadingsRequest,
        snap: SubmissionSnapshot,
        readings: list[Reading],
        now: datetime,
    ) -> list[NewAlert]:
        """A notice for each meter whose month's use the new readings make unusual, when they
        were sent for a resident (and alerts are wired)."""
        resident = request.actor.resident_id
        if self._alerts is None or resident is None:
            return []
        found = []
        for context in snap.contexts:
            meter = context.meter
            mine = [r for r in readings if r.meter_id == meter.id]
            if not mine:
                continue
            period = mine[0].period
            new = {r.register: r.value for r in mine if r.period == period}
            history = {
                register: [PastValue(x.period, x.value) for x in rows]
                for register, rows in context.history.items()
            }
            unusual = unusual_use(meter, period, new, history, self._limits)
            if unusual is not None:
                receipt = mine[0].receipt
                via = request.actor.channel.value
                found.append(NewAlert(meter.id, period, resident, receipt, unusual, via, now))
        return found

    async def _replay(self, claim: Claim, fingerprint: str) -> SubmitReadingsResult:
        """The first result again: the same receipts, previous values and correction flags."""
        if claim.fingerprint != fingerprint:
            raise DomainError.of("submission.key_reused")
        accepted = []
        for r in await self._readings.of_submission(claim.submission_id):
            rows = await self._readings.history(r.meter_id, r.period.shift(-HISTORY_MONTHS))
            mine = [x for x in rows if x.register == r.register]
            before = [x for x in mine if x.period < r.period and x.status is ReadingStatus.ACCEPTED]
            corrected = any(x.period == r.period and (x.id or 0) < (r.id or 0) for x in mine)
            previous = before[-1].value if before else None
            accepted.append(
                AcceptedReading(
                    r.meter_id,
                    r.register,
                    r.period,
                    r.value,
                    previous,
                    r.receipt,
                    corrected,
                    r.held_until,
                )
            )
        return SubmitReadingsResult(claim.submission_id, claim.at, accepted, replayed=True)


def _judged(
    request: SubmitReadingsRequest, ids: list[int], snap: SubmissionSnapshot, now: datetime
) -> list[Judged]:
    contexts = {c.meter.id: c for c in snap.contexts}
    check_access(request.actor, ids, contexts)
    judged = judge(request.items, contexts, now)
    if request.correcting is not None:
        require_corrections(judged, request.correcting)
    return judged


def _reading(j: Judged, now: datetime, actor: Actor) -> Reading:
    return Reading(
        meter_id=j.item.meter_id,
        register=j.register,
        period=j.period,
        value=j.value,
        submitted_at=now,
        channel=actor.channel,
        receipt=new_receipt(j.period),
        held_until=j.held_until,
    )


def _check_shape(request: SubmitReadingsRequest) -> None:
    if not request.items:
        raise DomainError.of("submission.empty")
    if len(request.items) > MAX_ITEMS:
        raise DomainError.of("submission.too_many", limit=MAX_ITEMS)
    if request.client_key is not None and not 1 <= len(request.client_key) <= 100:
        raise DomainError.of("submission.bad_key")
    seen = set()
    for item in request.items:
        key = (item.meter_id, item.register)
        if key in seen:
            raise DomainError.of("submission.repeated_register", meter_id=item.meter_id)
        seen.add(key)


def _fingerprint(items: Sequence[ReadingItem]) -> str:
    canon = sorted(
        (i.meter_id, i.register or "", str(i.value).strip(), sorted(i.confirm)) for i in items
    )
    return hashlib.sha256(json.dumps(canon).encode()).hexdigest()
