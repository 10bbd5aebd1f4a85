"""A supplier's reminders as staff see and steer them: each rule with its day, its counts for a
period, and whom it would reach now (ShowReminders); a rule's days, on/off and pause
(ChangeReminderRule).

Who may call them: administrators (any supplier), the supplier's own staff, and the service
itself (the command line, `caller=None`). Guarantees: a supplier the caller may not manage
answers exactly like an unknown one (`supplier.not_found`); a change is audited; pausing a rule
holds its planned reminders (nothing is lost), resuming lets them go.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from komunalka.application.notifications.plan_reminders import stored_rules, verification_reach
from komunalka.application.notifications.ports import Audience, ReminderBook, ReminderRules
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.ports import AuditLog, Clock, SupplierRepository
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.reminders import QuietHours, ReminderRule, RuleKind, window_rule_day
from komunalka.domain.services import Channel
from komunalka.domain.staff import StaffMember, StaffRole


@dataclass(frozen=True, slots=True)
class RuleView:
    rule: ReminderRule
    day: date | None  # the day it falls on in the period's window (window rules)
    counts: dict[str, int]
    audience: Audience

    @property
    def planned(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class RemindersView:
    supplier: Supplier
    period: BillingPeriod
    rules: list[RuleView]


async def _supplier(
    suppliers: SupplierRepository, caller: StaffMember | None, code: str
) -> Supplier:
    supplier = await suppliers.by_code(code.strip())
    if supplier is None or (caller is not None and not caller.can_manage_supplier(supplier.id)):
        raise DomainError.of("supplier.not_found")
    return supplier


class ShowReminders:
    def __init__(
        self,
        transactions: Transactions,
        suppliers: SupplierRepository,
        rules: ReminderRules,
        book: ReminderBook,
        clock: Clock,
        quiet: QuietHours | None = None,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._rules = rules
        self._book = book
        self._clock = clock
        self._quiet = quiet or QuietHours()

    async def __call__(
        self,
        caller: StaffMember | None,
        code: str,
        period: BillingPeriod | None = None,
        sample: int = 10,
    ) -> RemindersView:
        now = self._clock.now()
        async with self._transactions() as tx:
            supplier = await _supplier(self._suppliers, caller, code)
            await tx.commit()
        window = (
            supplier.window.window_for(period)
            if period is not None
            else supplier.window.window_at(now) or supplier.window.next_window(now)
        )
        rules = await stored_rules(self._transactions, self._rules, supplier.id)
        today = self._quiet.local_day(now)
        views = []
        async with self._transactions() as tx:
            counts = await self._book.counts(supplier.id, window.period.index)
            for rule in rules:
                assert rule.id is not None
                if rule.kind.about_verification:
                    due_from, due_to = verification_reach(rule, today)
                    audience = await self._book.verification_audience(
                        supplier.id, due_from, due_to, sample
                    )
                    day = None
                else:
                    audience = await self._book.audience(supplier.id, window.period.index, sample)
                    day = window_rule_day(rule, window, supplier.window.zone)
                views.append(RuleView(rule, day, counts.get(rule.id, {}), audience))
            await tx.commit()
        return RemindersView(supplier, window.period, views)


@dataclass(frozen=True, slots=True)
class RuleChange:
    kind: RuleKind
    days: int | None = None
    enabled: bool | None = None
    paused: bool | None = None


class ChangeReminderRule:
    def __init__(
        self,
        transactions: Transactions,
        suppliers: SupplierRepository,
        rules: ReminderRules,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._rules = rules
        self._audit = audit
        self._clock = clock

    async def __call__(
        self, caller: StaffMember | None, code: str, change: RuleChange
    ) -> ReminderRule:
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            supplier = await _supplier(self._suppliers, caller, code)
            stored = {rule.kind: rule for rule in await self._rules.stored(supplier.id)}
            old = stored.get(change.kind) or ReminderRule(supplier.id, change.kind)
            new = replace(
                old,
                days=old.days if change.days is None else change.days,
                enabled=old.enabled if change.enabled is None else change.enabled,
                paused=old.paused if change.paused is None else change.paused,
            )
            saved = await self._rules.save(new)
            details = {"kind": str(new.kind), "days": new.days, "enabled": new.enabled}
            details["paused"] = new.paused
            await self._audit.record(
                _actor(caller), "reminders.rule", f"supplier:{supplier.code}", details, now
            )
            await tx.commit()
        return saved


def _actor(caller: StaffMember | None) -> Actor:
    if caller is None:
        return Actor(ActorKind.SYSTEM, None, Channel.CLI)
    kind = ActorKind.SUPPLIER if caller.role is StaffRole.SUPPLIER else ActorKind.OPERATOR
    return Actor(kind, caller.id, Channel.WEB)
