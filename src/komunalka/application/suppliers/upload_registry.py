"""A registry uploaded through the supplier portal, imported in the background with progress.

Who may call it: staff of the supplier and administrators (``can_manage_supplier``).
Guarantees: every upload is recorded (``registry_uploads``) before its import starts and ends as
done or failed with its counts and a report of the bad rows (line, codes, a message in the
uploader's language); rows naming another supplier never land (``portal.other_supplier``);
the import itself is ImportRegistry's: one transaction, bad rows reported, good rows landed.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from komunalka.application.ports import (
    Clock,
    RegistryFile,
    RegistryUpload,
    RejectedRow,
    Spreadsheets,
    UnitOfWorkFactory,
)
from komunalka.application.suppliers.import_registry import ImportRegistry
from komunalka.application.suppliers.supplier_access import Caller, actor_of, managed_supplier
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.meters import Supplier
from komunalka.domain.staff import StaffMember

KINDS = ("csv", "xlsx")
RECENT = 20
Describe = Callable[[Violation], str]


@dataclass
class UploadProgress:
    """Rows read so far by the imports running in this process, by upload id. The import's
    transaction holds the database until it ends, so the live count is kept here."""

    rows: dict[int, int] = field(default_factory=dict)


def kind_of(filename: str) -> str:
    """``csv`` or ``xlsx`` from the file's name; anything else is refused."""
    kind = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if kind not in KINDS:
        raise DomainError.of("portal.bad_file_type")
    return kind


class StartRegistryUpload:
    """Records an upload as running; the caller then runs it (RunRegistryUpload)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, progress: UploadProgress) -> None:
        self._uow = uow
        self._clock = clock
        self._progress = progress

    async def __call__(self, caller: Caller, code: str | None, filename: str) -> int:
        kind_of(filename)
        now = self._clock.now()
        name = filename.replace("\\", "/").rsplit("/", 1)[-1][-200:]
        staff_id = caller.id if isinstance(caller, StaffMember) else None
        async with self._uow(write=True) as uow:
            supplier = await managed_supplier(uow, caller, code)
            upload_id = await uow.supplier_portal.add_upload(supplier.id, staff_id, name, now)
            subject = f"registry_upload:{upload_id}"
            details = {"supplier": supplier.code, "file": name}
            await uow.audit.record(actor_of(caller), "registry_upload.start", subject, details, now)
            await uow.commit()
        self._progress.rows[upload_id] = 0
        return upload_id


class RunRegistryUpload:
    """Imports the uploaded file (at `path`, the caller's to delete) and stores the outcome."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        importer: ImportRegistry,
        files: Spreadsheets,
        progress: UploadProgress,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._import = importer
        self._files = files
        self._progress = progress

    async def __call__(
        self, caller: Caller, upload_id: int, path: str, filename: str, describe: Describe
    ) -> RegistryUpload:
        async with self._uow() as uow:
            upload = await uow.supplier_portal.upload(upload_id)
            if upload is None:
                raise DomainError.of("portal.upload_not_found")
            supplier = await uow.suppliers.get(upload.supplier_id)
            if supplier is None or not _allowed(caller, supplier):
                raise DomainError.of("portal.upload_not_found")
        rejected: list[RejectedRow] = []
        read = accepted = 0
        # Failed unless the import gets to its end (an error, or the app stopping half-way).
        status = "failed"
        try:
            opened = await asyncio.to_thread(self._files.open_registry, path, kind_of(filename))
            try:
                rows = _own_rows(opened, supplier, rejected, self._progress.rows, upload_id)
                report = await self._import(actor_of(caller), opened.columns, rows, rejected.append)
                accepted = report.accepted
                status = "done"
            finally:
                opened.close()
        except DomainError as error:
            rejected = [RejectedRow(0, error.violations)]
        except Exception:
            rejected = [RejectedRow(0, (Violation("portal.upload_failed"),))]
            raise
        finally:
            read = self._progress.rows.pop(upload_id, 0)
            counts = (read, accepted, len([r for r in rejected if r.line]))
            await self._finish(upload_id, status, counts, _report(rejected, describe))
        return replace(upload, status=status, rows=read, accepted=accepted, rejected=counts[2])

    async def _finish(
        self, upload_id: int, status: str, counts: tuple[int, int, int], report: str
    ) -> None:
        async with self._uow(write=True) as uow:
            now = self._clock.now()
            await uow.supplier_portal.finish_upload(upload_id, status, counts, report, now)
            await uow.commit()


def _allowed(caller: Caller, supplier: Supplier) -> bool:
    if isinstance(caller, StaffMember):
        return caller.can_manage_supplier(supplier.id)
    return caller.supplier_id == supplier.id


def _own_rows(
    opened: RegistryFile,
    supplier: Supplier,
    rejected: list[RejectedRow],
    progress: dict[int, int],
    upload_id: int,
) -> Iterator[tuple[int, Mapping[str, str | None]]]:
    """The file's rows of this supplier; a row of another goes to `rejected`. Counts rows read
    into `progress` as it goes (it runs in ImportRegistry's worker thread)."""
    read = 0
    for line, row in opened.rows():
        read += 1
        progress[upload_id] = read
        named = (row.get("supplier") or "").strip()
        if named and named != supplier.code:
            other = Violation("portal.other_supplier", {"supplier": named[:40]})
            rejected.append(RejectedRow(line, (other,)))
            continue
        yield line, row


def _report(rejected: list[RejectedRow], describe: Describe) -> str:
    """The bad rows as CSV: line, codes, message (in the uploader's language)."""
    if not rejected:
        return ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("line", "codes", "message"))
    for row in sorted(rejected, key=lambda r: r.line):
        message = " ".join(describe(v) for v in row.violations)
        writer.writerow((row.line or "", " ".join(row.codes), message))
    return out.getvalue()


class RegistryUploads:
    """A supplier's recent uploads, and one upload with its report. Read-only."""

    def __init__(self, uow: UnitOfWorkFactory, progress: UploadProgress) -> None:
        self._uow = uow
        self._progress = progress

    async def recent(self, caller: Caller, code: str | None) -> list[RegistryUpload]:
        async with self._uow() as uow:
            supplier = await managed_supplier(uow, caller, code)
            found = await uow.supplier_portal.uploads(supplier.id, RECENT)
        return [self._live(u) for u in found]

    async def get(self, caller: Caller, code: str | None, upload_id: int) -> RegistryUpload:
        async with self._uow() as uow:
            supplier = await managed_supplier(uow, caller, code)
            upload = await uow.supplier_portal.upload(upload_id)
        if upload is None or upload.supplier_id != supplier.id:
            raise DomainError.of("portal.upload_not_found")
        return self._live(upload)

    def _live(self, upload: RegistryUpload) -> RegistryUpload:
        if upload.status != "running":
            return upload
        return replace(upload, rows=self._progress.rows.get(upload.id, upload.rows))
