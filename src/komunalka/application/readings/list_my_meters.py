"""ListMyMeters: every meter of a resident's linked accounts, with this period's status.

Who may call it: a resident, or staff on their behalf. Read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from komunalka.application.shared.ports import Clock, MeterContext, MeterList
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.meters import Account, Meter, Supplier, Verification
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus, meter_state_violations
from komunalka.domain.reminders import VERIFICATION_SOON_DAYS
from komunalka.domain.tariffs import Tariff
from komunalka.domain.windows import current_or_next


class PeriodStatus(StrEnum):
    SENT = "sent"
    DUE = "due"
    WINDOW_CLOSED = "window_closed"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class MeterOverview:
    meter: Meter
    account: Account
    supplier: Supplier
    status: PeriodStatus
    # The open window's period, or the next one's when every window is closed.
    period: BillingPeriod
    opens_on: date
    closes_on: date
    last: dict[str, Reading] = field(default_factory=dict)
    blocked_code: str | None = None
    blocked_params: dict[str, str] = field(default_factory=dict)
    # Each register's last accepted reading before `period` (what a new value is checked
    # against; `last` may be of `period` itself).
    previous: dict[str, Reading] = field(default_factory=dict)
    # Its verification due within the reminders' warning days, or past (then also BLOCKED).
    verification: Verification | None = None
    # The window has not opened yet but takes readings early: one sent now counts for `period`
    # and is passed on to the supplier at this moment (when the window opens). None otherwise.
    early_until: datetime | None = None

    @property
    def passed_on(self) -> date | None:
        """The supplier's local day a reading sent early now is passed on (the opening day)."""
        if self.early_until is None:
            return None
        return self.early_until.astimezone(self.supplier.window.zone).date()


class ListMyMeters:
    def __init__(
        self,
        transactions: Transactions,
        meters: MeterList,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._meters = meters
        self._clock = clock

    async def __call__(self, resident_id: int) -> list[MeterOverview]:
        # Read-only, and one statement on PostgreSQL (three on SQLite, each standing on the one
        # before): no snapshot is needed across them, so no transaction is held where each
        # statement can commit on its own (PostgreSQL: no BEGIN/ROLLBACK round trips).
        async with self._transactions(autocommit=True):
            return await self.within(resident_id)

    async def within(self, resident_id: int) -> list[MeterOverview]:
        """The same, in the transaction the caller has open (a use case that reads more)."""
        overviews, _ = await self.priced(resident_id, tariffs=False)
        return overviews

    async def priced(
        self, resident_id: int, *, tariffs: bool = True
    ) -> tuple[list[MeterOverview], dict[int, list[Tariff]]]:
        """The list with its suppliers' tariffs (by supplier id), read with it, in the
        transaction the caller has open (the bill estimate)."""
        now = self._clock.now()
        local = BillingPeriod(now.year, now.month)
        contexts = await self._meters.linked(resident_id, local.shift(-14), tariffs=tariffs)
        prices = {c.supplier.id: list(c.tariffs or ()) for c in contexts if tariffs}
        return [_overview(c, now) for c in contexts], prices


def _overview(c: MeterContext, now: datetime) -> MeterOverview:
    history = {
        reg: [r for r in c.history.get(reg, ()) if r.status is ReadingStatus.ACCEPTED]
        for reg in c.meter.registers
    }
    return overview(c.meter, c.account, c.supplier, history, now)


def overview(
    meter: Meter,
    account: Account,
    supplier: Supplier,
    history: dict[str, list[Reading]],
    now: datetime,
) -> MeterOverview:
    """The status of one meter at `now`; `history` holds its accepted readings, oldest first."""
    rule = supplier.window
    window = current_or_next(rule, now)
    intake = rule.intake_at(now) if rule.early_days else None
    early_until = intake.held_until if intake is not None else None
    # A window taking readings early counts as open: "send everything due" includes it.
    is_open = window.contains(now) or early_until is not None
    opens = window.opens_at.astimezone(rule.zone).date()
    # closes_at is the midnight after the last day; people are told the last day itself
    closes = (window.closes_at.astimezone(rule.zone) - timedelta(days=1)).date()
    last = {reg: rows[-1] for reg, rows in history.items() if rows}
    before = {reg: [r for r in rows if r.period < window.period] for reg, rows in history.items()}
    previous = {reg: rows[-1] for reg, rows in before.items() if rows}
    today = rule.local_today(now)
    blocked = meter_state_violations(meter, today)
    if blocked:
        status = PeriodStatus.BLOCKED
    elif not is_open:
        status = PeriodStatus.WINDOW_CLOSED
    elif last and all(reg in last and last[reg].period == window.period for reg in meter.registers):
        status = PeriodStatus.SENT
    else:
        status = PeriodStatus.DUE
    code = blocked[0].code if blocked else None
    params = dict(blocked[0].params) if blocked else {}
    return MeterOverview(
        meter,
        account,
        supplier,
        status,
        window.period,
        opens,
        closes,
        last,
        code,
        params,
        previous,
        meter.verification(today, VERIFICATION_SOON_DAYS),
        early_until if status is not PeriodStatus.BLOCKED else None,
    )
