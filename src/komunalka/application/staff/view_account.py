"""ViewAccount: an account's card for the operator console: the account, its meters with this
period's status, each meter's last readings (corrected ones too) and the audit trail of the
account, its meters and the submissions of its readings.

Who may call it: active staff, for an account in their scope; any other account is
``operator.account_not_found``, exactly like one that does not exist. Read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from komunalka.application.ports import AuditEntry, Clock, UnitOfWorkFactory
from komunalka.application.readings.list_my_meters import MeterOverview, overview
from komunalka.application.readings.readings_sheet import ReadingsSheet, sheet_of
from komunalka.application.staff.find_accounts import scope_of
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import Account, Supplier
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


class AccountLookup(Protocol):
    """An account by id, whatever its scope (the console's storage)."""

    async def account(self, account_id: int) -> Account | None: ...


async def visible_account(console: AccountLookup, staff: StaffMember, account_id: int) -> Account:
    """The account when the staff member may see it; ``operator.account_not_found`` otherwise."""
    scope_of(staff)
    account = await console.account(account_id)
    if account is None or not staff.can_see(account):
        raise DomainError.of("operator.account_not_found")
    return account


class ViewAccount:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, staff: StaffMember, account_id: int) -> AccountCard:
        now = self._clock.now()
        async with self._uow() as uow:
            account = await visible_account(uow.console, staff, account_id)
            supplier = await uow.suppliers.get(account.supplier_id)
            assert supplier is not None  # an account's supplier is a foreign key
            meters = await uow.meters.of_accounts([account.id])
            ids = [m.id for m in meters]
            since = BillingPeriod(now.year, now.month).shift(-(HISTORY_ROWS + 2))
            histories = {m.id: await uow.readings.history(m.id, since) for m in meters}
            trail = await uow.console.trail(account.id, ids, TRAIL_ROWS)
            names = {s.id: s.name for s in await uow.staff.all()}
        cards = []
        for meter in meters:
            rows = histories[meter.id]
            accepted = {
                reg: [r for r in rows if r.register == reg and r.status is ReadingStatus.ACCEPTED]
                for reg in meter.registers
            }
            status = overview(meter, account, supplier, accepted, now)
            newest = sorted(rows, key=lambda r: (r.period.index, r.id or 0), reverse=True)
            cards.append(MeterCard(status, newest[: HISTORY_ROWS * len(meter.registers)]))
        sheet = sheet_of([c.overview for c in cards])
        return AccountCard(account, supplier, cards, trail, names, sheet)
