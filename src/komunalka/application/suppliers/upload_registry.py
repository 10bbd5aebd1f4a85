"""A registry uploaded through the supplier portal, imported in the background with progress.

Who may call it: staff of the supplier and administrators (``can_manage_supplier``).
Guarantees: every upload is recorded (``registry_uploads``) before its import starts and ends as
done or failed with its counts and its rejected rows (line, codes and their parameters: the
door words them, `formats.rejected_rows_csv`); rows naming another supplier never land
(``portal.other_supplier``); the import itself is ImportRegistry's: one transaction, bad rows
reported, good rows landed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from komunalka.application.shared.ports import AuditLog, Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.files import RegistryFile, Spreadsheets
from komunalka.application.suppliers.import_registry import ImportRegistry
from komunalka.application.suppliers.ports import (
    RegistryUpload,
    RegistryUploadRepository,
    RejectedRow,
    Suppliers,
)
from komunalka.application.suppliers.supplier_access import (
    Caller,
    actor_of,
    managed_supplier,
    may_manage,
)
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.meters import Supplier
from komunalka.domain.staff import StaffMember

KINDS = ("csv", "xlsx")
RECENT = 20


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

    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        uploads: RegistryUploadRepository,
        audit: AuditLog,
        clock: Clock,
        progress: UploadProgress,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._uploads = uploads
        self._audit = audit
        self._clock = clock
        self._progress = progress

    async def __call__(self, caller: Caller, code: str | None, filename: str) -> int:
        kind_of(filename)
        now = self._clock.now()
        name = filename.replace("\\", "/").rsplit("/", 1)[-1][-200:]
        staff_id = caller.id if isinstance(caller, StaffMember) else None
        async with self._transactions(write=True) as tx:
            supplier = await managed_supplier(self._suppliers, caller, code)
            upload_id = await self._uploads.add_upload(supplier.id, staff_id, name, now)
            subject = f"registry_upload:{upload_id}"
            details = {"supplier": supplier.code, "file": name}
            action = "registry_upload.start"
            await self._audit.record(actor_of(caller), action, subject, details, now)
            await tx.commit()
        self._progress.rows[upload_id] = 0
        return upload_id


class RunRegistryUpload:
    """Imports the uploaded file (at `path`, the caller's to delete) and stores the outcome."""

    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        uploads: RegistryUploadRepository,
        clock: Clock,
        importer: ImportRegistry,
        files: Spreadsheets,
        progress: UploadProgress,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._uploads = uploads
        self._clock = clock
        self._import = importer
        self._files = files
        self._progress = progress

    async def __call__(
        self, caller: Caller, upload_id: int, path: str, filename: str
    ) -> RegistryUpload:
        upload, supplier = await self._found(caller, upload_id)
        rejected: list[RejectedRow] = []
        accepted = 0
        # Failed unless the import gets to its end (an error, or the app stopping half-way).
        status = "failed"
        try:
            accepted = await self._run(caller, supplier, upload_id, path, filename, rejected)
            status = "done"
        except DomainError as error:
            rejected = [RejectedRow(0, error.violations)]
        except Exception:
            rejected = [RejectedRow(0, (Violation("portal.upload_failed"),))]
            raise
        finally:
            read = self._progress.rows.pop(upload_id, 0)
            counts = (read, accepted, len([r for r in rejected if r.line]))
            await self._finish(upload_id, status, counts, rejected)
        return replace(upload, status=status, rows=read, accepted=accepted, rejected=counts[2])

    async def _found(self, caller: Caller, upload_id: int) -> tuple[RegistryUpload, Supplier]:
        async with self._transactions():
            upload = await self._uploads.upload(upload_id)
            if upload is None:
                raise DomainError.of("portal.upload_not_found")
            supplier = await self._suppliers.get(upload.supplier_id)
        if supplier is None or not may_manage(caller, supplier):
            raise DomainError.of("portal.upload_not_found")
        return upload, supplier

    async def _run(
        self,
        caller: Caller,
        supplier: Supplier,
        upload_id: int,
        path: str,
        filename: str,
        rejected: list[RejectedRow],
    ) -> int:
        """The import of the supplier's own rows; the number accepted."""
        opened = await asyncio.to_thread(self._files.open_registry, path, kind_of(filename))
        try:
            rows = _own_rows(opened, supplier, rejected, self._progress.rows, upload_id)
            report = await self._import(actor_of(caller), opened.columns, rows, rejected.append)
            return report.accepted
        finally:
            opened.close()

    async def _finish(
        self, upload_id: int, status: str, counts: tuple[int, int, int], rejected: list[RejectedRow]
    ) -> None:
        async with self._transactions(write=True) as tx:
            now = self._clock.now()
            problems = sorted(rejected, key=lambda r: r.line)
            await self._uploads.finish_upload(upload_id, status, counts, problems, now)
            await tx.commit()


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


class RegistryUploads:
    """A supplier's recent uploads, and one upload with its report. Read-only."""

    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        uploads: RegistryUploadRepository,
        progress: UploadProgress,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._uploads = uploads
        self._progress = progress

    async def recent(self, caller: Caller, code: str | None) -> list[RegistryUpload]:
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            found = await self._uploads.uploads(supplier.id, RECENT)
        return [self._live(u) for u in found]

    async def get(self, caller: Caller, code: str | None, upload_id: int) -> RegistryUpload:
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            upload = await self._uploads.upload(upload_id)
        if upload is None or upload.supplier_id != supplier.id:
            raise DomainError.of("portal.upload_not_found")
        return self._live(upload)

    def _live(self, upload: RegistryUpload) -> RegistryUpload:
        if upload.status != "running":
            return upload
        return replace(upload, rows=self._progress.rows.get(upload.id, upload.rows))
