"""The ports of the core: storage of suppliers, accounts, meters, readings and what the
messenger doors keep; the clock; charts."""

from __future__ import annotations

from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Sequence,
)
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from komunalka.domain.errors import Violation
from komunalka.domain.meters import Account, Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.registry import RegistryRow
from komunalka.domain.tariffs import Tariff


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware (UTC)."""
        ...


class SupplierRepository(Protocol):
    async def get(self, supplier_id: int) -> Supplier | None: ...
    async def by_code(self, code: str) -> Supplier | None: ...
    async def all(self) -> list[Supplier]: ...
    async def add(self, supplier: Supplier, services: Sequence[str]) -> Supplier: ...


class AccountRepository(Protocol):
    async def by_number(self, supplier_id: int, number: str) -> Account | None: ...
    async def linked_to(self, resident_id: int) -> list[Account]: ...
    async def is_linked(self, resident_id: int, account_id: int) -> bool: ...
    async def link(self, resident_id: int, account_id: int, proof: str, at: datetime) -> bool:
        """Records the link; False when it already existed."""
        ...

    async def unlink(self, resident_id: int, account_id: int) -> bool:
        """Removes the link; False when there was none."""
        ...


@dataclass(frozen=True, slots=True)
class Attempts:
    by_resident: int
    by_account: int


class LinkAttemptRepository(Protocol):
    async def failures_since(
        self,
        resident_id: int,
        supplier_id: int,
        number: str,
        resident_since: datetime,
        account_since: datetime,
    ) -> Attempts:
        """Failed attempts by this resident (any account) and on this account (anyone)."""
        ...

    async def add(
        self, resident_id: int, supplier_id: int, number: str, success: bool, at: datetime
    ) -> None: ...


class ResidentRepository(Protocol):
    async def add(self, name: str, at: datetime) -> int: ...
    async def exists(self, resident_id: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class Identity:
    channel: str
    external_id: str
    resident_id: int
    language: str
    reminders: bool


class IdentityRepository(Protocol):
    async def get(self, channel: str, external_id: str) -> Identity | None: ...
    async def add(self, identity: Identity, at: datetime) -> None: ...
    async def update(self, identity: Identity) -> None: ...
    async def reassign(self, channel: str, external_id: str, resident_id: int) -> None:
        """The identity now belongs to another resident."""
        ...


class DialogStateStore(Protocol):
    """Where each conversation stands: a JSON-able dict per channel and user. In the database by
    default; in Redis in production (a separate adapter, no unit of work)."""

    async def load(self, channel: str, external_id: str) -> dict[str, Any] | None: ...
    async def save(self, channel: str, external_id: str, state: dict[str, Any]) -> None: ...

    async def receive(
        self, channel: str, external_id: str, delivery_id: str
    ) -> tuple[bool, dict[str, Any] | None]:
        """Records a delivery (a messenger's id of an update) and loads the user's state, in one
        step: (False, None) when that delivery was recorded before, a repeat not to act on.

        The record is made (as durably as the store keeps anything) before this returns, and of
        two concurrent calls with one id only one is told it is the first."""
        ...


class ChartRenderer(Protocol):
    def consumption_chart(
        self, title: str, labels: Sequence[str], values: Sequence[float], unit: str
    ) -> bytes:
        """A bar chart of use per period, as PNG bytes."""
        ...


class TariffRepository(Protocol):
    async def of_supplier(self, supplier_id: int) -> list[Tariff]: ...
    async def add(self, tariff: Tariff) -> None: ...


class TokenRepository(Protocol):
    async def add(self, resident_id: int, token_hash: str, label: str, at: datetime) -> None: ...
    async def resident_for(self, token_hash: str) -> int | None: ...

    async def revoke(self, token_hash: str, at: datetime) -> int | None:
        """Revokes a live token; the resident it belonged to, or None when there was none."""
        ...


@dataclass(frozen=True, slots=True)
class MergeCounts:
    staged: int = 0
    duplicates: int = 0
    accounts: int = 0
    meters: int = 0
    readings: int = 0
    replaced: int = 0

    def __add__(self, other: MergeCounts) -> MergeCounts:
        return MergeCounts(
            *(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__)
        )


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int
    violations: tuple[Violation, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(v.code for v in self.violations)


@dataclass(frozen=True, slots=True)
class StagedRow:
    line: int
    supplier_id: int
    row: RegistryRow


class RegistryStaging(Protocol):
    """Bulk load of a registry inside the unit of work."""

    async def load(
        self,
        chunks: AsyncIterator[list[StagedRow]],
        at: datetime,
        on_duplicate: Callable[[int], None],
    ) -> MergeCounts:
        """Lands valid rows chunk by chunk: upserts accounts and meters and adds the readings not
        yet known. A row repeating an earlier row's meter (supplier and serial) does not land:
        its line goes to `on_duplicate`. The next chunk is awaited while the last one merges,
        so the caller's parsing and the database's work overlap."""
        ...


@dataclass(frozen=True, slots=True)
class NonSubmitter:
    account_number: str
    holder: str
    address: str
    meter_serial: str
    service: str


class ReadingQueries(Protocol):
    """Bulk reads for suppliers: streamed, never loaded whole."""

    async def export_csv(
        self, supplier_id: int, period: BillingPeriod, sink: Callable[[bytes], Awaitable[None]]
    ) -> None: ...

    def non_submitters(
        self, supplier_id: int, period: BillingPeriod
    ) -> AsyncIterator[NonSubmitter]: ...
