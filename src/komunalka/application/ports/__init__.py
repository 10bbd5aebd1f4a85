"""Ports the use cases need. Adapters implement them; tests use the fakes in tests/fakes.py.

While the features move to naming their ports, everything is still imported from here (most
ports now live in their feature's package), and the unit of work that holds them all is defined
here."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from komunalka.application.accounts.ports import Attempts, LinkAttemptRepository
from komunalka.application.identity.ports import (
    Identity,
    IdentityRepository,
    OneTimeTokenRepository,
    ResidentProfile,
    ResidentProfileRepository,
    ResidentRepository,
    SignInAttemptRepository,
    TokenRepository,
    WebLogin,
    WebLoginRepository,
    WebSession,
    WebSessionRepository,
)
from komunalka.application.notifications.ports import MessageSender, Outbox, OutgoingMessage
from komunalka.application.ports.core import (
    ChartRenderer,
    Claim,
    DialogStateStore,
    MediaRepository,
    MeterContext,
    MeterRepository,
    NewSubmission,
    ReadingRepository,
    SubmissionRepository,
    SubmissionSnapshot,
    TariffRepository,
    unique,
)
from komunalka.application.shared.ports import (
    AccountRepository,
    AuditLog,
    Clock,
    Conflict,
    PasswordHasher,
    StaffRecord,
    StaffRepository,
    SupplierRepository,
)
from komunalka.application.staff.ports import (
    AccountScope,
    AccountSearch,
    AuditEntry,
    AuditTrail,
    SupplierCatalog,
    SupplierRecord,
)
from komunalka.application.suppliers.files import JobRunner, RegistryFile, Spreadsheets, XlsxWriter
from komunalka.application.suppliers.ports import (
    HourlyReadings,
    MergeCounts,
    NonSubmitter,
    PeriodCounts,
    ReadingQueries,
    RegistryStaging,
    RegistryUpload,
    RejectedRow,
    StagedRow,
    SupplierPortalRepository,
    SupplierToken,
)
from komunalka.application.system.ports import StorageProbe


class ConsoleRepository(AccountSearch, AuditTrail, SupplierCatalog, Protocol):
    """What the unit of work's `console` still offers the use cases not yet converted: the
    staff feature's account search, audit trail and supplier catalogue in one."""


class UnitOfWork(Protocol):
    """One transaction. Leaving the block without `commit()` rolls everything back."""

    suppliers: SupplierRepository
    accounts: AccountRepository
    meters: MeterRepository
    readings: ReadingRepository
    submissions: SubmissionRepository
    audit: AuditLog
    link_attempts: LinkAttemptRepository
    residents: ResidentRepository
    tokens: TokenRepository
    tariffs: TariffRepository
    identities: IdentityRepository
    media: MediaRepository
    registry: RegistryStaging
    queries: ReadingQueries
    web_logins: WebLoginRepository
    staff: StaffRepository
    web_sessions: WebSessionRepository
    sign_in_attempts: SignInAttemptRepository
    one_time_tokens: OneTimeTokenRepository
    outbox: Outbox
    profiles: ResidentProfileRepository
    # operator console (channels/operator)
    console: ConsoleRepository
    # supplier portal (door: supplier)
    supplier_portal: SupplierPortalRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def ping(self) -> None:
        """Raises when storage cannot be reached."""
        ...


class UnitOfWorkFactory(Protocol):
    """Opens units of work (a `Transactions`), and, while the use cases move to naming their
    repositories, holds one of each kind for the wiring: each runs on the transaction the
    calling task has open."""

    suppliers: SupplierRepository
    accounts: AccountRepository
    meters: MeterRepository
    readings: ReadingRepository
    submissions: SubmissionRepository
    audit: AuditLog
    link_attempts: LinkAttemptRepository
    residents: ResidentRepository
    tokens: TokenRepository
    tariffs: TariffRepository
    identities: IdentityRepository
    media: MediaRepository
    registry: RegistryStaging
    queries: ReadingQueries
    web_logins: WebLoginRepository
    staff: StaffRepository
    web_sessions: WebSessionRepository
    sign_in_attempts: SignInAttemptRepository
    one_time_tokens: OneTimeTokenRepository
    outbox: Outbox
    profiles: ResidentProfileRepository
    console: ConsoleRepository
    supplier_portal: SupplierPortalRepository
    # staff (the console's repository, by role), system
    account_search: AccountSearch
    audit_trail: AuditTrail
    supplier_catalog: SupplierCatalog
    storage_probe: StorageProbe

    def __call__(self, *, write: bool = False, autocommit: bool = False) -> UnitOfWork:
        """A new unit of work; `write=True` takes the write lock up front where the database
        needs it (SQLite), so read-then-write never fails half-way. `autocommit=True` lets
        each step commit on its own where the database serializes single statements
        (PostgreSQL); it is for use cases whose every write is one step (`SubmissionRepository.
        save`) and that check what they read when they write. `commit()` is still called."""
        ...


__all__ = [
    "AccountRepository",
    "AccountScope",
    "AccountSearch",
    "Attempts",
    "AuditEntry",
    "AuditLog",
    "AuditTrail",
    "ChartRenderer",
    "Claim",
    "Clock",
    "Conflict",
    "ConsoleRepository",
    "DialogStateStore",
    "HourlyReadings",
    "Identity",
    "IdentityRepository",
    "JobRunner",
    "LinkAttemptRepository",
    "MediaRepository",
    "MergeCounts",
    "MessageSender",
    "MeterContext",
    "MeterRepository",
    "NewSubmission",
    "NonSubmitter",
    "OneTimeTokenRepository",
    "Outbox",
    "OutgoingMessage",
    "PasswordHasher",
    "PeriodCounts",
    "ReadingQueries",
    "ReadingRepository",
    "RegistryFile",
    "RegistryStaging",
    "RegistryUpload",
    "RejectedRow",
    "ResidentProfile",
    "ResidentProfileRepository",
    "ResidentRepository",
    "SignInAttemptRepository",
    "Spreadsheets",
    "StaffRecord",
    "StaffRepository",
    "StagedRow",
    "SubmissionRepository",
    "SubmissionSnapshot",
    "SupplierCatalog",
    "SupplierPortalRepository",
    "SupplierRecord",
    "SupplierRepository",
    "SupplierToken",
    "TariffRepository",
    "TokenRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "WebLogin",
    "WebLoginRepository",
    "WebSession",
    "WebSessionRepository",
    "XlsxWriter",
    "unique",
]
