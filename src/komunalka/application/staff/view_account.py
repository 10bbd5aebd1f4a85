"""ViewAccount: an account's card for the operator console: the account, its meters with this
period's status, each meter's last readings (corrected ones too) and the audit trail of the
account, its meters and the submissions of its readings.

Who may call it: active staff, for an account in their scope; any other account is
``operator.account_not_found``, exactly like one that does not exist. Read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from komunalka.application.readings.list_my_meters import MeterOverview, overview
from komunalka.application.readings.readings_sheet import ReadingsSheet, sheet_of
from komunalka.application.shared.ports import Clock, StaffRepository, SupplierRepository
from komunalka.application.shared.transactions import Transactions
from komunalka.application.staff.find_accounts import scope_of
from komunalka.application.staff.ports import (
    AccountMeters,
    AccountSearch,
    AuditEntry,
    AuditTrail,
    MeterReadings,
)
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import Account, Meter, Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus
from komunalka.domain.staff import StaffMember

HISTORY_ROWS = 12
TRAIL_ROWS = 100


@dataclass(frozen=True, slots=True)
class MeterCard:
    overview: MeterOverview
    # the newest first, superseded ones included
    readings: list[Reading] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AccountCard:
    account: Account
    supplier: Supplier
    meters: list[MeterCard]
    trail: list[AuditEntry]
    # staff names by id, for the trail
    staff_names: dict[int, str] = field(default_factory=dict)
    # what the readings form shows and takes (application/readings/readings_sheet.py)
    sheet: ReadingsSheet = field(default_factory=lambda: ReadingsSheet(()))


async def visible_account(search: AccountSearch, staff: StaffMember, account_id: int) -> Account:
    """The account when the staff member may see it; ``operator.account_not_found`` otherwise."""
    scope_of(staff)
    account = await search.account(account_id)
    if account is None or not staff.can_see(account):
        raise DomainError.of("operator.account_not_found")
    return account


class ViewAccount:
    def __init__(
        self,
        transactions: Transactions,
        search: AccountSearch,
        suppliers: SupplierRepository,
        meters: AccountMeters,
        readings: MeterReadings,
        trail: AuditTrail,
        staff: StaffRepository,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._search = search
        self._suppliers = suppliers
        self._meters = meters
        self._readings = readings
        self._trail = trail
        self._staff = staff
        self._clock = clock

    async def __call__(self, staff: StaffMember, account_id: int) -> AccountCard:
        now = self._clock.now()
        async with self._transactions():
            account = await visible_account(self._search, staff, account_id)
            supplier = await self._suppliers.get(account.supplier_id)
            assert supplier is not None  # an account's supplier is a foreign key
            meters = await self._meters.of_accounts([account.id])
            since = BillingPeriod(now.year, now.month).shift(-(HISTORY_ROWS + 2))
            histories = {m.id: await self._readings.history(m.id, since) for m in meters}
            trail = await self._trail.trail(account.id, [m.id for m in meters], TRAIL_ROWS)
            names = {s.id: s.name for s in await self._staff.all()}
        cards = [_card(m, account, supplier, histories[m.id], now) for m in meters]
        sheet = sheet_of([c.overview for c in cards])
        return AccountCard(account, supplier, cards, trail, names, sheet)


def _card(
    meter: Meter, account: Account, supplier: Supplier, rows: list[Reading], now: datetime
) -> MeterCard:
    accepted = {
        reg: [r for r in rows if r.register == reg and r.status is ReadingStatus.ACCEPTED]
        for reg in meter.registers
    }
    status = overview(meter, account, supplier, accepted, now)
    newest = sorted(rows, key=lambda r: (r.period.index, r.id or 0), reverse=True)
    return MeterCard(status, newest[: HISTORY_ROWS * len(meter.registers)])
