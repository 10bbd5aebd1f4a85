"""Ports more than one feature uses. Each feature keeps its own narrow ports in its package;
what several of them name lives here, and features meet only through this module."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from komunalka.application.shared.actors import Actor
from komunalka.domain.meters import Account, Supplier
from komunalka.domain.staff import StaffMember

# --- identity, accounts, staff, notifications, system ------------------------------------------


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware (UTC)."""
        ...


class AuditLog(Protocol):
    async def record(
        self, actor: Actor, action: str, subject: str, details: Mapping[str, object], at: datetime
    ) -> None: ...


class Conflict(Exception):
    """A unique value (a login, a supplier's code) is taken already."""


class SupplierRepository(Protocol):
    async def get(self, supplier_id: int) -> Supplier | None: ...
    async def by_code(self, code: str) -> Supplier | None: ...
    async def all(self) -> list[Supplier]: ...
    async def add(self, supplier: Supplier, services: Sequence[str]) -> Supplier: ...


class AccountRepository(Protocol):
    """Accounts and the residents' links to them."""

    async def by_number(self, supplier_id: int, number: str) -> Account | None: ...
    async def linked_to(self, resident_id: int) -> list[Account]: ...
    async def is_linked(self, resident_id: int, account_id: int) -> bool: ...
    async def link(self, resident_id: int, account_id: int, proof: str, at: datetime) -> bool:
        """Records the link; False when it already existed."""
        ...

    async def unlink(self, resident_id: int, account_id: int) -> bool:
        """Removes the link; False when there was none."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, hashed: str, password: str) -> bool:
        """True when the password matches; never raises for a wrong one."""
        ...


@dataclass(frozen=True, slots=True)
class StaffRecord:
    member: StaffMember
    password_hash: str


class StaffRepository(Protocol):
    """The staff members (identity signs them in, staff manages them)."""

    async def by_login(self, login: str) -> StaffRecord | None: ...
    async def get(self, staff_id: int) -> StaffRecord | None: ...
    async def all(self) -> list[StaffMember]: ...
    async def add(self, member: StaffMember, password_hash: str, at: datetime) -> int:
        """The new member's id; raises `Conflict` when the login is taken."""
        ...

    async def update(self, member: StaffMember, password_hash: str | None = None) -> None: ...


# --- end of identity, accounts, staff, notifications, system -----------------------------------
