"""The ports of the staff's work: finding accounts in a scope, the audit trail, the suppliers an
administrator keeps, and what an account's card shows of its meters and readings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from komunalka.domain.meters import Account, Meter, Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading


@dataclass(frozen=True, slots=True)
class AccountScope:
    """Which accounts a search may return: all, one district's, or one supplier's."""

    district: str | None = None
    supplier_id: int | None = None


class AccountSearch(Protocol):
    """Accounts as staff look for them, within a scope."""

    async def account(self, account_id: int) -> Account | None: ...

    async def by_number(self, prefix: str, scope: AccountScope, limit: int) -> list[Account]:
        """Accounts whose number starts with `prefix` (an exact match first)."""
        ...

    async def by_address(
        self, words: Sequence[str], scope: AccountScope, limit: int
    ) -> list[Account]:
        """Accounts whose address holds every word, in any letter case (Cyrillic too)."""
        ...

    async def by_surname(self, prefix: str, scope: AccountScope, limit: int) -> list[Account]:
        """Accounts whose holder's name starts with `prefix`, in any letter case."""
        ...

    async def by_phone(self, phone: str, scope: AccountScope, limit: int) -> list[Account]:
        """Accounts linked to residents whose web login or profile contact is `phone`."""
        ...

    async def linked_residents(self, account_id: int) -> list[int]:
        """The residents who linked the account, by id, in order."""
        ...


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor_kind: str
    actor_id: int | None
    channel: str
    action: str
    subject: str
    details: Mapping[str, object]
    note: str = ""
    # the resident the actor acted for (a resident acts for themselves), and that resident's name
    on_behalf_of: int | None = None
    on_behalf_name: str = ""


class AuditTrail(Protocol):
    """The audit log, read back."""

    async def trail(
        self, account_id: int, meter_ids: Sequence[int], limit: int
    ) -> list[AuditEntry]:
        """Audit entries about the account, its meters and the submissions of its readings,
        newest first."""
        ...

    async def entries(self, subject: str, action: str) -> list[AuditEntry]: ...


@dataclass(frozen=True, slots=True)
class SupplierRecord:
    supplier: Supplier
    services: tuple[str, ...]


class SupplierCatalog(Protocol):
    """The suppliers with their services, as an administrator keeps them."""

    async def suppliers(self) -> list[SupplierRecord]: ...
    async def supplier(self, supplier_id: int) -> SupplierRecord | None: ...

    async def add_supplier(self, supplier: Supplier, services: Sequence[str]) -> int:
        """The new supplier's id; raises `Conflict` when the code is taken."""
        ...

    async def update_supplier(self, supplier: Supplier, services: Sequence[str]) -> None:
        """Raises `Conflict` when the code is taken by another supplier."""
        ...


class AccountMeters(Protocol):
    async def of_accounts(self, account_ids: Sequence[int]) -> list[Meter]: ...


class MeterReadings(Protocol):
    async def history(self, meter_id: int, since: BillingPeriod) -> list[Reading]:
        """A meter's readings since a period, corrected ones too, oldest first."""
        ...


class StaffSessions(Protocol):
    """The web sessions of staff members (a deactivated member's end at once)."""

    async def remove_all(self, kind: str, subject_id: int) -> None: ...
