"""The supplier portal's storage, files and background jobs."""

from __future__ import annotations

import csv
import io
from collections.abc import (
    Coroutine,
    Iterable,
    Iterator,
    Sequence,
)
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from komunalka.domain.periods import BillingPeriod


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
