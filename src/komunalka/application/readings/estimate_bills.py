"""EstimateBills: what this period's readings of a resident's accounts come to at the tariffs,
per account (and so per supplier): each meter's use since its previous reading times the price
in force on the period's first day, summed.

Who may call it: a resident (or a door on their behalf), for their linked accounts. Read-only.
An estimate, not a bill: a meter whose service has no tariff is left out of the sum and named,
and an estimate priced from demo tariffs says so.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from komunalka.application.readings.list_my_meters import ListMyMeters, MeterOverview
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.meters import Account, Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.tariffs import MeterCost, Tariff, price_meter


@dataclass(frozen=True, slots=True)
class MeterEstimate:
    overview: MeterOverview
    # Use per register (the total too, when the meter has one) since the previous reading.
    used: dict[str, Decimal]
    # None: no tariff prices this meter's service (or one of its zones).
    cost: MeterCost | None


@dataclass(frozen=True, slots=True)
class AccountEstimate:
    account: Account
    supplier: Supplier
    period: BillingPeriod
    # The account's meters with a reading of `period` and one before it to count the use from.
    meters: list[MeterEstimate]
    # Whether the supplier's tariffs are demo values (published figures, not for billing).
    demo: bool

    @property
    def priced(self) -> list[MeterEstimate]:
        return [m for m in self.meters if m.cost is not None]

    @property
    def unpriced(self) -> list[MeterEstimate]:
        return [m for m in self.meters if m.cost is None]

    @property
    def total(self) -> Decimal:
        return sum((m.cost.amount for m in self.meters if m.cost is not None), Decimal(0))


class EstimateBills:
    def __init__(self, transactions: Transactions, meters: ListMyMeters) -> None:
        self._transactions = transactions
        self._meters = meters

    async def __call__(
        self, resident_id: int, accounts: Collection[int] | None = None
    ) -> list[AccountEstimate]:
        """The estimates of the resident's accounts with use this period (of `accounts` only,
        when given), in the order of the resident's meter list."""
        # Read-only: no transaction held (see ListMyMeters). The tariffs come with the meter
        # list, in its statement on PostgreSQL, never from a cache that could be stale.
        async with self._transactions(autocommit=True):
            listed, tariffs = await self._meters.priced(resident_id)
        overviews = [o for o in listed if accounts is None or o.account.id in accounts]
        return bill_estimates(overviews, tariffs)


def period_use(o: MeterOverview) -> dict[str, Decimal]:
    """Each register's use in `o.period`: its reading of the period less the one before (a dial
    that rolled over past its capacity counts on from zero)."""
    used = {}
    for register, last in o.last.items():
        before = o.previous.get(register)
        if last.period != o.period or before is None:
            continue
        amount = last.value - before.value
        used[register] = amount + o.meter.capacity if amount < 0 else amount
    return used


def bill_estimates(
    overviews: list[MeterOverview], tariffs: Mapping[int, list[Tariff]]
) -> list[AccountEstimate]:
    """The meters with use this period, priced and grouped by account."""
    grouped: dict[int, list[MeterEstimate]] = {}
    first: dict[int, MeterOverview] = {}
    for o in overviews:
        used = period_use(o)
        if not used:
            continue
        day = date(o.period.year, o.period.month, 1)
        known = tariffs.get(o.supplier.id, [])
        cost = price_meter(known, o.meter.service, o.meter.zones, used, day)
        grouped.setdefault(o.account.id, []).append(MeterEstimate(o, used, cost))
        first.setdefault(o.account.id, o)
    return [
        AccountEstimate(
            o.account,
            o.supplier,
            o.period,
            grouped[account_id],
            any(t.demo for t in tariffs.get(o.supplier.id, [])),
        )
        for account_id, o in first.items()
    ]


def by_period(
    estimates: list[AccountEstimate],
) -> list[tuple[BillingPeriod, list[AccountEstimate]]]:
    """The estimates under the period each is for, oldest first: around the turn of a month one
    supplier's window may be for the month that ends while another's is for the next."""
    periods: dict[BillingPeriod, list[AccountEstimate]] = {}
    for estimate in estimates:
        periods.setdefault(estimate.period, []).append(estimate)
    return sorted(periods.items())
