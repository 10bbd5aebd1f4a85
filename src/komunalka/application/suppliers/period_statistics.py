"""A supplier's period at a glance: how many active meters have an accepted reading, and the
readings by day of the window and by channel (the list of those who have not sent is
ListNonSubmitters').

Who may call it: staff of that supplier, administrators (``can_manage_supplier``) and the
supplier's pull-API tokens. Read-only; the database aggregates (no period is loaded row by row).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from komunalka.application.shared.ports import Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.ports import PeriodCountsQuery, Suppliers
from komunalka.application.suppliers.supplier_access import Caller, managed_supplier
from komunalka.domain.meters import Supplier
from komunalka.domain.periods import BillingPeriod


@dataclass(frozen=True, slots=True)
class PeriodStatistics:
    supplier: Supplier
    period: BillingPeriod
    active_meters: int
    meters_sent: int
    readings: int
    # every day of the period's window (and any other day readings came on), in order
    by_day: tuple[tuple[date, int], ...]
    # channels by the number of readings, most first
    by_channel: tuple[tuple[str, int], ...]
    window_opens: date
    window_closes: date

    @property
    def share_sent(self) -> Decimal:
        """Percent of active meters with an accepted reading, one decimal."""
        if not self.active_meters:
            return Decimal(0)
        share = Decimal(self.meters_sent * 100) / Decimal(self.active_meters)
        return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def not_sent(self) -> int:
        return self.active_meters - self.meters_sent


class ShowPeriodStatistics:
    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        counts: PeriodCountsQuery,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._counts = counts
        self._clock = clock

    async def __call__(
        self, caller: Caller, code: str | None, period: BillingPeriod
    ) -> PeriodStatistics:
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            counts = await self._counts.period_counts(supplier.id, period, self._clock.now())
        rule = supplier.window
        window = rule.window_for(period)
        opens = rule.local_today(window.opens_at)
        closes = rule.local_today(window.closes_at) - timedelta(days=1)
        days: Counter[date] = Counter()
        channels: Counter[str] = Counter()
        for hour in counts.hours:
            days[rule.local_today(hour.hour)] += hour.readings
            channels[hour.channel] += hour.readings
        every_day = {opens + timedelta(days=n) for n in range((closes - opens).days + 1)}
        return PeriodStatistics(
            supplier,
            period,
            counts.active_meters,
            counts.meters_sent,
            sum(channels.values()),
            tuple((d, days[d]) for d in sorted(every_day | set(days))),
            tuple(sorted(channels.items(), key=lambda c: (-c[1], c[0]))),
            opens,
            closes,
        )
