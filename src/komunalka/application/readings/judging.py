"""How a submission is judged against its snapshot: who may send to which meter, which window
each meter takes readings in, every value's rules, and which warnings the items confirmed.
Pure: no storage, no clock (the instant is given)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.ports import MeterContext
from komunalka.domain.errors import DomainError, InvalidReading, Severity, Violation
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import (
    PastValue,
    Reading,
    check_total,
    check_value,
    meter_state_violations,
)
from komunalka.domain.values import parse_reading
from komunalka.domain.windows import Intake, WindowRule


@dataclass(frozen=True, slots=True)
class ReadingItem:
    meter_id: int
    value: str | int | Decimal
    # None for a single-register meter; a zone code (``day``) otherwise.
    register: str | None = None
    confirm: frozenset[str] = frozenset()


@dataclass(slots=True)
class Judged:
    """An item that passed: its register, value and period, the register's previous accepted
    value and the reading of the period it corrects, if any."""

    item: ReadingItem
    register: str
    value: Decimal
    period: BillingPeriod
    previous: Decimal | None = None
    current: Reading | None = None
    # Sent before the period's window opened (early): passed on to the supplier then.
    held_until: datetime | None = None


def check_access(actor: Actor, ids: list[int], contexts: dict[int, MeterContext]) -> None:
    missing = [i for i in ids if i not in contexts]
    if actor.kind is ActorKind.RESIDENT:
        # A meter of someone else's account looks exactly like one that does not exist.
        missing += [i for i in ids if i in contexts and not contexts[i].linked]
    if missing:
        raise DomainError([Violation("meter.not_found", meter_id=i) for i in sorted(missing)])


def judge(
    items: Sequence[ReadingItem],
    contexts: dict[int, MeterContext],
    now: datetime,
) -> list[Judged]:
    violations: list[Violation] = []
    intakes = _open_periods(contexts, now, violations)
    periods = {meter_id: intake.window.period for meter_id, intake in intakes.items()}
    recent = {
        (meter_id, register): list(rows)
        for meter_id, ctx in contexts.items()
        for register, rows in ctx.history.items()
    }
    judged = [
        _judge_item(item, contexts[item.meter_id], intakes[item.meter_id], recent, violations)
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
) -> dict[int, Intake]:
    """Where each meter's readings go now (the open window, or the next one early); a closed
    window or a blocked meter is a violation instead, and its readings are not judged further."""
    intakes = {}
    for meter_id, ctx in contexts.items():
        rule = ctx.supplier.window
        intake = rule.intake_at(now)
        if intake is None:
            violations.append(closed_window(rule, now, meter_id))
            continue
        blocked = meter_state_violations(ctx.meter, rule.local_today(now))
        if blocked:
            violations += blocked
            continue
        intakes[meter_id] = intake
    return intakes


def closed_window(rule: WindowRule, now: datetime, meter_id: int | None = None) -> Violation:
    """``window.closed``: when the next window opens (and for which period); where the rule
    takes readings early, ``window.closed_early`` says from when, too."""
    nxt = rule.next_window(now)
    params = {"opens": _day(rule, nxt.opens_at), "period": str(nxt.period)}
    if not rule.early_days:
        return Violation("window.closed", params, meter_id=meter_id)
    params["early"] = _day(rule, rule.early_from(nxt))
    return Violation("window.closed_early", params, meter_id=meter_id)


def _day(rule: WindowRule, instant: datetime) -> str:
    return instant.astimezone(rule.zone).date().isoformat()


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


def require_corrections(judged: list[Judged], period: BillingPeriod) -> None:
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
    intake: Intake,
    recent: dict[tuple[int, str], list[Reading]],
    violations: list[Violation],
) -> Judged | None:
    meter, period = ctx.meter, intake.window.period
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
    previous = past[-1].value if past else None
    return Judged(item, register, value, period, previous, current, intake.held_until)
