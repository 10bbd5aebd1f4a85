"""SubmitReadings: one or many registers of one or many meters, all or nothing.

Who may call it: a resident for the meters of accounts linked to them; staff and the system (whose
door has already checked their scope) for any meter. Guarantees: every value is checked against
the meter's rules and its open window; nothing is written unless everything is accepted; a
warning (rollover, a jump) passes only when the item confirms its code; a second reading of a
register in the same period corrects the first and both stay in history; under one client key a
request takes effect once and a repeat returns the first result; concurrent submissions to one
meter run one after another. Every accepted submission is audited.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from komunalka.application.ports import (
    Claim,
    Clock,
    MeterContext,
    NewSubmission,
    UnitOfWork,
    UnitOfWorkFactory,
    unique,
)
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.domain.errors import DomainError, InvalidReading, Severity, Violation
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import (
    PastValue,
    Reading,
    ReadingStatus,
    check_total,
    check_value,
    meter_state_violations,
    new_receipt,
)
from komunalka.domain.values import parse_reading

HISTORY_MONTHS = 13
MAX_ITEMS = 50


@dataclass(frozen=True, slots=True)
class ReadingItem:
    meter_id: int
    value: str | int | Decimal
    # None for a single-register meter; a zone code (``day``) otherwise.
    register: str | None = None
    confirm: frozenset[str] = frozenset()


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


@dataclass(frozen=True, slots=True)
class SubmitReadingsResult:
    submission_id: int
    submitted_at: datetime
    readings: list[AcceptedReading] = field(default_factory=list)
    replayed: bool = False


@dataclass(slots=True)
class _Judged:
    item: ReadingItem
    register: str
    value: Decimal
    period: BillingPeriod
    previous: Decimal | None = None
    current: Reading | None = None


class SubmitReadings:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, request: SubmitReadingsRequest) -> SubmitReadingsResult:
        _check_shape(request)
        now = self._clock.now()
        fingerprint = _fingerprint(request.items)
        ids = unique(i.meter_id for i in request.items)
        if len(ids) == 1:
            # One meter: read, judge, and write only if the meter has not moved on meanwhile,
            # each a step of its own (two round trips on PostgreSQL, no transaction held).
            async with self._uow(write=True, autocommit=True) as uow:
                result = await self._attempt(uow, request, ids, now, fingerprint, hold=False)
                if result is not None:
                    await uow.commit()
                    return result
        # Several meters, or one that changed between the read and the write: hold the meters
        # (in id order, so two submissions never deadlock) from the read to the commit.
        async with self._uow(write=True) as uow:
            result = await self._attempt(uow, request, ids, now, fingerprint, hold=True)
            if result is None:
                raise RuntimeError("a held meter moved on before the submission was saved")
            await uow.commit()
        return result

    async def _attempt(
        self,
        uow: UnitOfWork,
        request: SubmitReadingsRequest,
        ids: list[int],
        now: datetime,
        fingerprint: str,
        *,
        hold: bool,
    ) -> SubmitReadingsResult | None:
        """The submission judged against one snapshot; None when a meter moved on before the
        write (nothing was written)."""
        # periods run at most a month behind the calendar: this covers every window rule
        since = BillingPeriod(now.year, now.month).shift(-HISTORY_MONTHS - 2)
        actor = request.actor
        snap = await uow.submissions.snapshot(actor, request.client_key, ids, since, hold=hold)
        if snap.earlier is not None:
            return await _replay(uow, snap.earlier, fingerprint)
        contexts = {c.meter.id: c for c in snap.contexts}
        _check_access(actor, ids, contexts)
        judged = _judge(request.items, contexts, now)
        if request.correcting is not None:
            _require_corrections(judged, request.correcting)
        readings = [
            Reading(
                meter_id=j.item.meter_id,
                register=j.register,
                period=j.period,
                value=j.value,
                submitted_at=now,
                channel=actor.channel,
                receipt=new_receipt(j.period),
            )
            for j in judged
        ]
        new = NewSubmission(
            actor,
            request.client_key,
            fingerprint,
            now,
            readings,
            [j.current.id for j in judged if j.current is not None and j.current.id],
            {meter_id: c.revision for meter_id, c in contexts.items()},
        )
        claim = await uow.submissions.save(new)
        if claim is None:
            return None
        if not claim.is_new:  # the same key was used meanwhile: its result, not ours
            return await _replay(uow, claim, fingerprint)
        accepted = [
            AcceptedReading(
                r.meter_id,
                r.register,
                r.period,
                r.value,
                j.previous,
                r.receipt,
                j.current is not None,
            )
            for r, j in zip(readings, judged, strict=True)
        ]
        return SubmitReadingsResult(claim.submission_id, now, accepted)


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


async def _replay(uow: UnitOfWork, claim: Claim, fingerprint: str) -> SubmitReadingsResult:
    """The first result again: the same receipts, previous values and correction flags."""
    if claim.fingerprint != fingerprint:
        raise DomainError.of("submission.key_reused")
    readings = await uow.readings.of_submission(claim.submission_id)
    accepted = []
    for r in readings:
        rows = await uow.readings.history(r.meter_id, r.period.shift(-HISTORY_MONTHS))
        mine = [x for x in rows if x.register == r.register]
        before = [x for x in mine if x.period < r.period and x.status is ReadingStatus.ACCEPTED]
        corrected = any(x.period == r.period and (x.id or 0) < (r.id or 0) for x in mine)
        previous = before[-1].value if before else None
        accepted.append(
            AcceptedReading(
                r.meter_id, r.register, r.period, r.value, previous, r.receipt, corrected
            )
        )
    return SubmitReadingsResult(claim.submission_id, claim.at, accepted, replayed=True)


def _check_access(actor: Actor, ids: list[int], contexts: dict[int, MeterContext]) -> None:
    missing = [i for i in ids if i not in contexts]
    if actor.kind is ActorKind.RESIDENT:
        # A meter of someone else's account looks exactly like one that does not exist.
        missing += [i for i in ids if i in contexts and not contexts[i].linked]
    if missing:
        raise DomainError([Violation("meter.not_found", meter_id=i) for i in sorted(missing)])


def _judge(
    items: Sequence[ReadingItem],
    contexts: dict[int, MeterContext],
    now: datetime,
) -> list[_Judged]:
    violations: list[Violation] = []
    periods = _open_periods(contexts, now, violations)
    recent = {
        (meter_id, register): list(rows)
        for meter_id, ctx in contexts.items()
        for register, rows in ctx.history.items()
    }
    judged = [
        _judge_item(item, contexts[item.meter_id], periods[item.meter_id], recent, violations)
        for item in items
        if item.meter_id in periods
    ]
    for meter_id in periods:
        mine = [j for j in judged if j is not None and j.item.meter_id == meter_id]
        values = {j.register: j.value for j in mine}
        current = _current_values(recent, meter_id, periods[meter_id])
        violations += check_total(contexts[meter_id].meter, {**current, **values})
    blocking = [v for v in violations if v.severity is Severity.ERROR or not _confirmed(items, v)]
    if blocking:
        raise DomainError(blocking)
    return [j for j in judged if j is not None]


def _open_periods(
    contexts: dict[int, MeterContext], now: datetime, violations: list[Violation]
) -> dict[int, BillingPeriod]:
    """The period each meter takes readings for now; a closed window or a blocked meter is a
    violation instead, and its readings are not judged further."""
    periods = {}
    for meter_id, ctx in contexts.items():
        rule = ctx.supplier.window
        window = rule.window_at(now)
        if window is None:
            nxt = rule.next_window(now)
            opens = nxt.opens_at.astimezone(rule.zone).date().isoformat()
            params = {"opens": opens, "period": str(nxt.period)}
            violations.append(Violation("window.closed", params, meter_id=meter_id))
            continue
        blocked = meter_state_violations(ctx.meter, rule.local_today(now))
        if blocked:
            violations += blocked
            continue
        periods[meter_id] = window.period
    return periods


def _current_values(
    recent: dict[tuple[int, str], list[Reading]], meter_id: int, period: BillingPeriod
) -> dict[str, Decimal]:
    return {
        register: r.value
        for (mid, register), rows in recent.items()
        if mid == meter_id
        for r in rows
        if r.period == period
    }


def _require_corrections(judged: list[_Judged], period: BillingPeriod) -> None:
    problems = []
    for j in judged:
        code = "reading.correction_closed" if j.period != period else "reading.nothing_to_correct"
        if j.period != period or j.current is None:
            params = {"period": str(period)}
            problems.append(Violation(code, params, meter_id=j.item.meter_id, register=j.register))
    if problems:
        raise DomainError(problems)


def _confirmed(items: Sequence[ReadingItem], violation: Violation) -> bool:
    return any(
        i.meter_id == violation.meter_id
        and violation.code in i.confirm
        and (i.register in (None, violation.register))
        for i in items
    )


def _judge_item(
    item: ReadingItem,
    ctx: MeterContext,
    period: BillingPeriod,
    recent: dict[tuple[int, str], list[Reading]],
    violations: list[Violation],
) -> _Judged | None:
    meter = ctx.meter
    register = item.register or (meter.registers[0] if len(meter.registers) == 1 else "")
    if register not in meter.registers:
        params = {"registers": ", ".join(meter.registers)}
        violations.append(Violation("reading.unknown_register", params, meter_id=meter.id))
        return None
    try:
        value = parse_reading(item.value, meter.digits, meter.decimals)
    except InvalidReading as exc:
        violations += [v.at(meter.id, register) for v in exc.violations]
        return None
    history = recent.get((meter.id, register), [])
    past = [PastValue(r.period, r.value) for r in history if r.period < period]
    current = next((r for r in history if r.period == period), None)
    violations += check_value(meter, register, value, period, past)
    return _Judged(item, register, value, period, past[-1].value if past else None, current)
