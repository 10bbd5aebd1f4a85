"""Ports the use cases need. Adapters implement them; tests use the fakes in tests/fakes.py."""

from __future__ import annotations

import csv
import io
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from komunalka.application.actors import Actor
from komunalka.domain.errors import Violation
from komunalka.domain.meters import Account, Meter, Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading
from komunalka.domain.registry import RegistryRow
from komunalka.domain.staff import StaffMember
from komunalka.domain.tariffs import Tariff


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware (UTC)."""
        ...


@dataclass(frozen=True, slots=True)
class MeterContext:
    """A meter with what a submission needs to judge it: its supplier and account."""

    meter: Meter
    account: Account
    supplier: Supplier
    # Whether the resident the request is for has linked the meter's account.
    linked: bool = False
    # Accepted readings by register, oldest first (filled by `for_submission` only).
    history: Mapping[str, Sequence[Reading]] = field(default_factory=dict)


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


class MeterRepository(Protocol):
    async def contexts(
        self, meter_ids: Sequence[int], *, lock: bool, resident_id: int | None = None
    ) -> list[MeterContext]:
        """The meters with their accounts, suppliers and whether `resident_id` linked them;
        `lock` holds them until commit, so concurrent submissions to one meter run in turn."""
        ...

    async def for_submission(
        self, meter_ids: Sequence[int], resident_id: int | None, since: BillingPeriod
    ) -> list[MeterContext]:
        """The meters' contexts with their accepted readings from `since` on. Read after the
        submission's claim, which holds the meters, so no concurrent change is missed."""
        ...

    async def of_accounts(self, account_ids: Sequence[int]) -> list[Meter]: ...
    async def by_serials(self, supplier_id: int, serials: Sequence[str]) -> list[Meter]: ...


class ReadingRepository(Protocol):
    async def recent(
        self, meter_ids: Sequence[int], since: BillingPeriod
    ) -> dict[tuple[int, str], list[Reading]]:
        """Accepted readings since a period, by (meter, register), oldest first."""
        ...

    async def add(self, readings: Sequence[Reading]) -> None: ...
    async def supersede(self, reading_ids: Sequence[int]) -> None: ...
    async def of_submission(self, submission_id: int) -> list[Reading]: ...
    async def by_receipt(self, receipt: str) -> Reading | None: ...
    async def history(self, meter_id: int, since: BillingPeriod) -> list[Reading]: ...


@dataclass(frozen=True, slots=True)
class Claim:
    submission_id: int
    is_new: bool
    fingerprint: str
    at: datetime


class SubmissionRepository(Protocol):
    async def claim(
        self,
        actor: Actor,
        client_key: str | None,
        fingerprint: str,
        at: datetime,
        meter_ids: Sequence[int] = (),
    ) -> Claim:
        """A new submission, or the earlier one made under the same client key; either way the
        meters are held until the transaction ends, so submissions to a meter run one at a time.

        A new one is also written to the audit log (action ``readings.submit``, subject
        ``submission:<id>``; its readings carry the id). Two concurrent claims of one key: the
        second waits for the first to commit and then sees it (the key is unique per actor)."""
        ...


class AuditLog(Protocol):
    async def record(
        self, actor: Actor, action: str, subject: str, details: Mapping[str, object], at: datetime
    ) -> None: ...


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


class MediaRepository(Protocol):
    async def add(self, token: str, content: bytes, content_type: str, at: datetime) -> None: ...
    async def get(self, token: str, since: datetime) -> tuple[bytes, str] | None: ...
    async def forget_before(self, before: datetime) -> None: ...


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


# --- web sign-in, sessions, staff -------------------------------------------------------------


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, hashed: str, password: str) -> bool:
        """True when the password matches; never raises for a wrong one."""
        ...


@dataclass(frozen=True, slots=True)
class WebLogin:
    id: int
    resident_id: int
    login: str
    password_hash: str


class WebLoginRepository(Protocol):
    async def by_login(self, login: str) -> WebLogin | None: ...
    async def of_resident(self, resident_id: int) -> list[WebLogin]: ...
    async def add(self, resident_id: int, login: str, password_hash: str, at: datetime) -> int:
        """The new login's id; raises `Conflict` when the login is taken."""
        ...

    async def set_password(self, resident_id: int, password_hash: str) -> None: ...


class Conflict(Exception):
    """A unique value (a login) is taken already."""


@dataclass(frozen=True, slots=True)
class StaffRecord:
    member: StaffMember
    password_hash: str


class StaffRepository(Protocol):
    async def by_login(self, login: str) -> StaffRecord | None: ...
    async def get(self, staff_id: int) -> StaffRecord | None: ...
    async def all(self) -> list[StaffMember]: ...
    async def add(self, member: StaffMember, password_hash: str, at: datetime) -> int:
        """The new member's id; raises `Conflict` when the login is taken."""
        ...

    async def update(self, member: StaffMember, password_hash: str | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class WebSession:
    token_hash: str
    # "resident" or "staff"
    kind: str
    subject_id: int
    expires_at: datetime


class WebSessionRepository(Protocol):
    async def add(self, session: WebSession, at: datetime) -> None: ...
    async def live(self, token_hash: str, now: datetime) -> WebSession | None: ...
    async def remove(self, token_hash: str) -> None: ...
    async def remove_all(self, kind: str, subject_id: int) -> None: ...
    async def forget_before(self, before: datetime) -> None: ...


class SignInAttemptRepository(Protocol):
    async def failures_since(self, key: str, since: datetime) -> int: ...
    async def add(self, key: str, success: bool, at: datetime) -> None: ...


class OneTimeTokenRepository(Protocol):
    async def add(
        self, token_hash: str, purpose: str, subject_id: int, expires_at: datetime
    ) -> None: ...

    async def use(self, token_hash: str, purpose: str, now: datetime) -> int | None:
        """Marks a live token used and returns its subject; None when unknown, used or
        expired. Two concurrent uses: one wins."""
        ...


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    channel: str
    recipient: str
    subject: str
    body: str


class Outbox(Protocol):
    """Messages to people, sent after the transaction that wrote them commits."""

    async def add(self, message: OutgoingMessage, at: datetime) -> None: ...
    async def unsent(self, limit: int) -> list[tuple[int, OutgoingMessage]]: ...
    async def mark_sent(self, message_id: int, at: datetime) -> None: ...


class MessageSender(Protocol):
    """Delivers one message (an e-mail, an SMS); raises when it could not."""

    async def send(self, message: OutgoingMessage) -> None: ...


@dataclass(frozen=True, slots=True)
class ResidentProfile:
    resident_id: int
    language: str = "uk"
    # "none", "email", "sms", "telegram", "viber"
    reminder_channel: str = "none"
    reminder_consent_at: datetime | None = None
    contact: str = ""


class ResidentProfileRepository(Protocol):
    async def get(self, resident_id: int) -> ResidentProfile | None: ...
    async def save(self, profile: ResidentProfile) -> None: ...
    async def identities_of(self, resident_id: int) -> list[Identity]:
        """The resident's messenger identities (linked messengers)."""
        ...


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
    def __call__(self, *, write: bool = False) -> UnitOfWork:
        """A new unit of work; `write=True` takes the write lock up front where the database
        needs it (SQLite), so read-then-write never fails half-way."""
        ...


def unique(items: Iterable[int]) -> list[int]:
    return sorted(set(items))


# --- operator console (channels/operator) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountScope:
    """Which accounts a search may return: all, one district's, or one supplier's."""

    district: str | None = None
    supplier_id: int | None = None


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


@dataclass(frozen=True, slots=True)
class SupplierRecord:
    supplier: Supplier
    services: tuple[str, ...]


class ConsoleRepository(Protocol):
    """What the operator console reads (and the supplier writes it makes)."""

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

    async def trail(
        self, account_id: int, meter_ids: Sequence[int], limit: int
    ) -> list[AuditEntry]:
        """Audit entries about the account, its meters and the submissions of its readings,
        newest first."""
        ...

    async def entries(self, subject: str, action: str) -> list[AuditEntry]: ...

    async def suppliers(self) -> list[SupplierRecord]: ...
    async def supplier(self, supplier_id: int) -> SupplierRecord | None: ...

    async def add_supplier(self, supplier: Supplier, services: Sequence[str]) -> int:
        """The new supplier's id; raises `Conflict` when the code is taken."""
        ...

    async def update_supplier(self, supplier: Supplier, services: Sequence[str]) -> None:
        """Raises `Conflict` when the code is taken by another supplier."""
        ...


# --- supplier portal (door: supplier) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegistryUpload:
    id: int
    supplier_id: int
    staff_id: int | None
    filename: str
    # "running", "done", "failed"
    status: str
    rows: int
    accepted: int
    rejected: int
    created_at: datetime
    finished_at: datetime | None = None
    # The bad rows as CSV (line, codes, message); filled by `upload` only.
    report: str = ""

    @property
    def file_problems(self) -> list[str]:
        """Why the whole file failed (the report's rows with no line), in the uploader's
        language: shown on the upload's page, not only in the downloadable report."""
        rows = csv.reader(io.StringIO(self.report))
        return [r[2] for r in rows if len(r) == 3 and r[0] == "" and r[2]]


@dataclass(frozen=True, slots=True)
class SupplierToken:
    id: int
    supplier_id: int
    label: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class HourlyReadings:
    """Accepted readings of a period counted by the UTC hour they came in and their channel."""

    hour: datetime
    channel: str
    readings: int


@dataclass(frozen=True, slots=True)
class PeriodCounts:
    active_meters: int
    meters_sent: int
    hours: tuple[HourlyReadings, ...]


class SupplierPortalRepository(Protocol):
    """What the supplier portal keeps: the supplier's settings, registry uploads, pull tokens and
    a period's counts."""

    async def services_of(self, supplier_id: int) -> list[str]: ...
    async def set_window_rule(self, supplier_id: int, rule: str, timezone: str) -> None: ...
    async def add_upload(
        self, supplier_id: int, staff_id: int | None, filename: str, at: datetime
    ) -> int: ...
    async def finish_upload(
        self,
        upload_id: int,
        status: str,
        counts: tuple[int, int, int],
        report: str,
        at: datetime,
    ) -> None:
        """Stores the outcome; `counts` are (rows, accepted, rejected)."""
        ...

    async def upload(self, upload_id: int) -> RegistryUpload | None: ...
    async def uploads(self, supplier_id: int, limit: int) -> list[RegistryUpload]: ...
    async def add_token(
        self, supplier_id: int, token_hash: str, label: str, staff_id: int | None, at: datetime
    ) -> int: ...
    async def tokens(self, supplier_id: int) -> list[SupplierToken]: ...
    async def revoke_token(self, supplier_id: int, token_id: int, at: datetime) -> bool:
        """Revokes a live token of this supplier; False when there was none."""
        ...

    async def supplier_for_token(self, token_hash: str) -> int | None:
        """The supplier of a live token."""
        ...

    async def period_counts(self, supplier_id: int, period: BillingPeriod) -> PeriodCounts: ...


class RegistryFile(Protocol):
    """An uploaded registry opened for reading: its header and its rows, streamed."""

    columns: list[str]

    def rows(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        """(line number, row by column) for each data row; line 1 is the header."""
        ...

    def close(self) -> None: ...


class Spreadsheets(Protocol):
    """CSV and XLSX files behind the portal: registries in, exports out."""

    def open_registry(self, path: str, kind: str) -> RegistryFile:
        """`kind` is "csv" or "xlsx"; raises DomainError ``portal.unreadable_file``."""
        ...

    def xlsx_writer(self, columns: Sequence[str]) -> XlsxWriter:
        """A one-sheet workbook with this header row, written as rows come (write-only)."""
        ...


class XlsxWriter(Protocol):
    def extend(self, rows: Iterable[Sequence[object]]) -> None: ...

    def chunks(self) -> Iterator[bytes]:
        """Saves the workbook and yields its bytes; the temporary file goes with the last."""
        ...

    def discard(self) -> None: ...


class JobRunner(Protocol):
    """Work that outlives a request, run in the app's process and stopped with it."""

    def start(self, name: str, job: Coroutine[Any, Any, None]) -> None: ...
