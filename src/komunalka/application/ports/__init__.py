"""Ports the use cases need. Adapters implement them; tests use the fakes in tests/fakes.py.

One module per area (core, web sign-in, operator console, supplier portal); everything is
imported from here, and the unit of work that holds them all is defined here."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from komunalka.application.ports.console import (
    AccountScope,
    AuditEntry,
    ConsoleRepository,
    SupplierRecord,
)
from komunalka.application.ports.core import (
    AccountRepository,
    Attempts,
    ChartRenderer,
    Clock,
    DialogStateStore,
    Identity,
    IdentityRepository,
    LinkAttemptRepository,
    MergeCounts,
    NonSubmitter,
    ReadingQueries,
    RegistryStaging,
    RejectedRow,
    ResidentRepository,
    StagedRow,
    SupplierRepository,
    TariffRepository,
    TokenRepository,
)
from komunalka.application.ports.portal import (
    HourlyReadings,
    JobRunner,
    PeriodCounts,
    RegistryFile,
    RegistryUpload,
    Spreadsheets,
    SupplierPortalRepository,
    SupplierToken,
    XlsxWriter,
)
from komunalka.application.ports.web import (
    Conflict,
    MessageSender,
    OneTimeTokenRepository,
    Outbox,
    OutgoingMessage,
    PasswordHasher,
    ResidentProfile,
    ResidentProfileRepository,
    SignInAttemptRepository,
    StaffRecord,
    StaffRepository,
    WebLogin,
    WebLoginRepository,
    WebSession,
    WebSessionRepository,
)
from komunalka.application.readings.ports import (
    Claim,
    MediaRepository,
    NewSubmission,
    SubmissionRepository,
    SubmissionSnapshot,
    unique,
)
from komunalka.application.shared.ports import (
    AuditLog,
    MeterContext,
    MeterRepository,
    ReadingRepository,
)


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
    "Attempts",
    "AuditEntry",
    "AuditLog",
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
