"""PlanReminders: turns each supplier's rules into reminders, once per rule and period.

Who may call it: the worker's schedule (every few minutes; several workers at once are safe) and
`komunalka worker --once`. Guarantees: a window rule is planned once per period, on its day (or,
when the worker was away that day, on the first round after it while the window is still open),
by one set-based statement per rule: a reminder for every resident with a reminder channel and
consent who has a due meter of that supplier without a reading. Verification rules are planned
once a day for the meters whose date comes within their reach. Each resident's moment is spread
over what is left of the day's quiet hours. Planning writes nothing a resident sees: sending is
SendReminders' work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from komunalka.application.notifications.ports import ReminderBook, ReminderRules
from komunalka.application.shared.ports import Clock, SupplierRepository
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.meters import Supplier
from komunalka.domain.reminders import (
    QuietHours,
    ReminderRule,
    RuleKind,
    rules_with_defaults,
    window_rule_day,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PlannedRule:
    supplier: str
    kind: RuleKind
    run: str
    planned: int


@dataclass(frozen=True, slots=True)
class PlanRound:
    rules: list[PlannedRule] = field(default_factory=list)

    @property
    def planned(self) -> int:
        return sum(rule.planned for rule in self.rules)

    def __str__(self) -> str:
        return f"{len(self.rules)} rule(s) planned, {self.planned} reminder(s)"


async def stored_rules(
    transactions: Transactions, rules: ReminderRules, supplier_id: int
) -> list[ReminderRule]:
    """The supplier's rules, each stored (a default gets its row, and so its id, here)."""
    async with transactions(write=True) as tx:
        current = rules_with_defaults(supplier_id, await rules.stored(supplier_id))
        saved = [rule if rule.id is not None else await rules.save(rule) for rule in current]
        await tx.commit()
    return saved


class PlanReminders:
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

    async def __call__(self) -> PlanRound:
        now = self._clock.now()
        async with self._transactions() as tx:
            suppliers = await self._suppliers.all()
            await tx.commit()
        planned: list[PlannedRule] = []
        for supplier in suppliers:
            for rule in await stored_rules(self._transactions, self._rules, supplier.id):
                if rule.enabled:
                    done = await self._plan(supplier, rule, now)
                    if done is not None and done.planned:
                        planned.append(done)
        return PlanRound(planned)

    async def _plan(
        self, supplier: Supplier, rule: ReminderRule, now: datetime
    ) -> PlannedRule | None:
        assert rule.id is not None
        today = self._quiet.local_day(now)
        span = self._quiet.span(today, now)
        if span is None:  # after the quiet hours: tomorrow's first round plans it
            return None
        due_from, due_to = verification_reach(rule, today)
        if rule.kind.about_verification:
            run, period = today.isoformat(), 0
        else:
            window = supplier.window.window_at(now)
            if window is None or today < window_rule_day(rule, window, supplier.window.zone):
                return None
            run, period = f"{window.period.year:04d}-{window.period.month:02d}", window.period.index
        async with self._transactions(write=True) as tx:
            if not await self._book.begin_plan(rule.id, run, now):
                return None
            if rule.kind.about_verification:
                count = await self._book.plan_verification(
                    rule.id, supplier.id, due_from, due_to, span
                )
            else:
                count = await self._book.plan_due(rule.id, supplier.id, period, span)
            await self._book.finish_plan(rule.id, run, count)
            await tx.commit()
        log.info("reminders: %s %s %s planned for %s", supplier.code, rule.kind, run, count)
        return PlannedRule(supplier.code, rule.kind, run, count)


def verification_reach(rule: ReminderRule, today: date) -> tuple[date, date]:
    """The verification dates a rule's notice covers today: the coming `days` days (soon), or
    the last 30 days (overdue: a meter is told once, in the month it went overdue)."""
    if rule.kind is RuleKind.VERIFICATION_SOON:
        return today + timedelta(days=1), today + timedelta(days=max(rule.days, 1))
    return today - timedelta(days=30), today - timedelta(days=1)
