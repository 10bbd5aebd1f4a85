"""The ports the suppliers feature's use cases name: narrow, each for one kind of thing kept or
read. Database repositories implement them (adapters/db); tests use the fakes in tests/fakes.py.
The records they hand back are plain values and codes: no text for people, no file formats.
The ports to files and background work are in `files.py`."""

from __future__ import annotations

from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

from komunalka.domain.errors import Violation
from komunalka.domain.meters import Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.registry import RegistryRow
from komunalka.domain.tariffs import Tariff

Sink = Callable[[bytes], Awaitable[None]]


class Suppliers(Protocol):
    """The suppliers, looked up (read-only)."""

    async def get(self, supplier_id: int) -> Supplier | None: ...
    async def by_code(self, code: str) -> Supplier | None: ...
    async def all(self) -> list[Supplier]: ...


class SupplierTariffs(Protocol):
    async def of_supplier(self, supplier_id: int) -> list[Tariff]: ...
    async def add(self, tariff: Tariff) -> None: ...


class SupplierSettingsRepository(Protocol):
    """What a supplier offers and its window rule."""

    async def services_of(self, supplier_id: int) -> list[str]: ...
    async def set_window_rule(self, supplier_id: int, rule: str, timezone: str) -> None: ...
    async def photo_days_of(self, supplier_id: int) -> int:
        """Days the supplier's meter photos are kept."""
        ...

    async def set_photo_days(self, supplier_id: int, days: int) -> None: ...


# --- the registry import -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MergeCounts:
    staged: int = 0
    duplicates: int = 0
    accounts: int = 0
    meters: int = 0
    readings: int = 0
    replaced: int = 0
    # Rows whose meter, account and reading the database already held as listed: not written
    # (ADR 0022). Counted among the accepted rows.
    unchanged: int = 0

    def __add__(self, other: MergeCounts) -> MergeCounts:
        return MergeCounts(
            *(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__)
        )


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row of a registry that did not land: its line (0: the file as a whole) and why."""

    line: int
    violations: tuple[Violation, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(v.code for v in self.violations)


class StagedRow(NamedTuple):
    """A checked row of an import, by line. A named tuple for the speed of a million of them
    (ADR 0022)."""

    line: int
    supplier_id: int
    row: RegistryRow


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
    # The rows that did not land, by line; filled by `upload` only.
    problems: tuple[RejectedRow, ...] = ()
    # While running: the last sign of life of the process importing it (UploadProgressLog).
    heartbeat_at: datetime | None = None
    # Accepted rows that changed nothing (ADR 0022).
    unchanged: int = 0

    @property
    def file_problems(self) -> list[Violation]:
        """Why the whole file failed (the problems with no line): shown on the upload's page,
        not only in the downloadable report."""
        problems = [row for row in self.problems if not row.line and not is_note(row)]
        return [v for row in problems for v in row.violations]

    @property
    def file_notes(self) -> list[Violation]:
        """What the page says of the file that is no problem: the encoding it was read in."""
        return [v for row in self.problems if is_note(row) for v in row.violations]


# The encoding a text registry was read in, kept with the upload's problems as a line-0 note.
ENCODING_NOTE = "registry.encoding"


def encoding_note(encoding: str) -> RejectedRow:
    return RejectedRow(0, (Violation(ENCODING_NOTE, {"encoding": encoding}),))


def is_note(row: RejectedRow) -> bool:
    return not row.line and all(v.code == ENCODING_NOTE for v in row.violations)


class RegistryUploadRepository(Protocol):
    async def add_upload(
        self, supplier_id: int, staff_id: int | None, filename: str, at: datetime
    ) -> int: ...

    async def finish_upload(
        self,
        upload_id: int,
        status: str,
        counts: tuple[int, int, int, int],
        problems: Sequence[RejectedRow],
        at: datetime,
    ) -> None:
        """Stores the outcome; `counts` are (rows, accepted, rejected, unchanged)."""
        ...

    async def upload(self, upload_id: int) -> RegistryUpload | None: ...
    async def uploads(self, supplier_id: int, limit: int) -> list[RegistryUpload]: ...


class UploadProgressLog(Protocol):
    """Where every process sees how far a running upload has got, and whether it still lives.

    Unlike the repositories, each call is a short transaction of its own, never the caller's.
    A call never waits for the database's write lock: while one of the import's steps holds the
    only one (SQLite), it does nothing and returns False."""

    async def report(self, upload_id: int, rows: int, at: datetime) -> bool:
        """Rows read so far and a heartbeat at `at`, for an upload still running."""
        ...

    async def cut_off(self, supplier_id: int, stale_before: datetime, at: datetime) -> int:
        """Records the supplier's running uploads whose heartbeat is older than `stale_before`
        as failed, cut off (``portal.upload_cut_off``); how many."""
        ...


# --- pull-API tokens ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupplierToken:
    id: int
    supplier_id: int
    label: str
    created_at: datetime
    revoked_at: datetime | None


class SupplierTokenRepository(Protocol):
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


# --- a period's readings: counted, exported, missing -------------------------------------------


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


class PeriodCountsQuery(Protocol):
    async def period_counts(
        self, supplier_id: int, period: BillingPeriod, by: datetime | None = None
    ) -> PeriodCounts:
        """Counted from the readings released to the supplier by `by` (see ReadingExports)."""
        ...


class ExportRow(NamedTuple):
    """One accepted reading as exported; the fields are the export's columns, in order."""

    account: str
    serial: str
    service: str
    register: str
    period: str
    # exact, with the meter's decimals (``117.500``)
    value: Decimal
    # UTC, to the second: ``YYYY-MM-DD HH:MM:SS``
    submitted_at_utc: str
    channel: str
    receipt: str


EXPORT_COLUMNS: tuple[str, ...] = ExportRow._fields


class ReadingExports(Protocol):
    """A supplier's accepted readings of a period, streamed: never loaded whole. `by`: only the
    readings released to the supplier by then: a reading sent early is held until its window
    opens (``readings.release_at``, ADR 0018); None: every one (a closed period's file)."""

    async def export_csv(
        self, supplier_id: int, period: BillingPeriod, sink: Sink, by: datetime | None = None
    ) -> None:
        """The rows as CSV with a header (``EXPORT_COLUMNS``), written by the database where it
        can (COPY on PostgreSQL), else by `formats.readings_csv`: the same text either way."""
        ...

    def export_rows(
        self, supplier_id: int, period: BillingPeriod, by: datetime | None = None
    ) -> AsyncIterator[Sequence[ExportRow]]:
        """The rows, a chunk at a time."""
        ...


@dataclass(frozen=True, slots=True)
class NonSubmitter:
    account_number: str
    holder: str
    address: str
    meter_serial: str
    service: str


class NonSubmitterQuery(Protocol):
    def non_submitters(
        self, supplier_id: int, period: BillingPeriod, by: datetime | None = None
    ) -> AsyncIterator[NonSubmitter]:
        """A supplier's active meters with no accepted reading for the period released by `by`
        (see ReadingExports), streamed, by account and serial."""
        ...


# --- what the old unit of work holds (application/ports), until every feature names its ports --


class SupplierPortalRepository(
    SupplierSettingsRepository,
    RegistryUploadRepository,
    SupplierTokenRepository,
    PeriodCountsQuery,
    Protocol,
):
    """The portal's storage: one adapter implements these ports together."""


class ReadingQueries(ReadingExports, NonSubmitterQuery, Protocol):
    """Bulk reads for suppliers: one adapter implements these ports together."""


# --- the period's file at the window's close (ADR 0018) ----------------------------------------

PERIOD_FILE_READY = "period.file_ready"


@dataclass(frozen=True, slots=True)
class PeriodFile:
    """A period's final file, written once when the supplier's window for it closed."""

    supplier_id: int
    period: BillingPeriod
    format: str
    size: int
    written_at: datetime


class PeriodFileStore(Protocol):
    """The period files, kept for download; the (supplier, period) pair is written once."""

    async def file_formats(self) -> dict[int, str]:
        """Every supplier's chosen format for its period files (csv, xlsx or json)."""
        ...

    async def set_file_format(self, supplier_id: int, fmt: str) -> None: ...
    async def has(self, supplier_id: int, period: BillingPeriod) -> bool: ...

    async def add(self, file: PeriodFile, content: bytes) -> bool:
        """Keeps the file unless one of the supplier and period is already kept (then False,
        and nothing is written): two workers racing write it once."""
        ...

    async def of_supplier(self, supplier_id: int, limit: int) -> list[PeriodFile]:
        """The supplier's files, the newest period first (without their content)."""
        ...

    async def kept(
        self, supplier_id: int, period: BillingPeriod
    ) -> tuple[PeriodFile, bytes] | None:
        """The file of the supplier and period with its content, when one is kept."""
        ...


class SupplierEvents(Protocol):
    """Events for a supplier, recorded in the transaction of what they announce: every one, with
    when it was handed to the supplier's webhook queue (None: the supplier has no webhook)."""

    async def record(
        self,
        supplier_id: int,
        kind: str,
        period: BillingPeriod,
        payload: Mapping[str, object],
        at: datetime,
        queued_at: datetime | None = None,
    ) -> None: ...
