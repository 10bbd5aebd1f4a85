"""A registry uploaded through the supplier portal, imported in the background with progress.

Who may call it: staff of the supplier and administrators (``can_manage_supplier``).
Guarantees: every upload is recorded (``registry_uploads``) before its import starts and ends as
done or failed with its counts and its rejected rows (line, codes and their parameters: the
door words them, `formats.rejected_rows_csv`); rows naming another supplier never land
(``portal.other_supplier``); the import itself is ImportRegistry's: short steps, bad rows
reported, good rows landed; the same file uploaded again resumes an import cut off. While it
runs, the rows read so far and a heartbeat are written every HEARTBEAT seconds where every
process sees them (UploadProgressLog); an upload silent for CUT_OFF was cut off (its process
died) and is recorded as failed (``portal.upload_cut_off``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from komunalka.application.shared.ports import AuditLog, Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.files import RegistryFile, Spreadsheets
from komunalka.application.suppliers.import_registry import ImportRegistry
from komunalka.application.suppliers.ports import (
    RegistryUpload,
    RegistryUploadRepository,
    RejectedRow,
    Suppliers,
    UploadProgressLog,
    encoding_note,
    is_note,
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
# Seconds between a running import's progress reports: one small write each, whatever the
# file's size, and none on the import's own path (ADR 0010).
HEARTBEAT = 5.0
# A running upload whose heartbeat is older than this was cut off: many heartbeats missed.
CUT_OFF = timedelta(minutes=2)

_log = logging.getLogger(__name__)


class _RowsRead:
    """Rows read so far: counted by the import's worker thread, reported by the heartbeat."""

    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows = 0


def is_stale(upload: RegistryUpload, stale_before: datetime) -> bool:
    """A running upload whose last heartbeat (or start) is older than `stale_before`."""
    last = upload.heartbeat_at or upload.created_at
    return upload.status == "running" and last < stale_before


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
        progress: UploadProgressLog,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._uploads = uploads
        self._progress = progress
        self._audit = audit
        self._clock = clock

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
        # Uploads of this supplier cut off by a process that died are recorded as such here
        # too, not only when someone looks (outside the transaction: see UploadProgressLog).
        # Housekeeping: the upload is recorded already, so a failure here must not undo it.
        try:
            await self._progress.cut_off(supplier.id, now - CUT_OFF, now)
        except Exception:
            _log.warning("supplier %s: cut-off uploads not recorded", supplier.id, exc_info=True)
        return upload_id


class RunRegistryUpload:
    """Imports the uploaded file (at `path`, the caller's to delete) and stores the outcome."""

    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        uploads: RegistryUploadRepository,
        progress: UploadProgressLog,
        clock: Clock,
        importer: ImportRegistry,
        files: Spreadsheets,
        heartbeat: float = HEARTBEAT,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._uploads = uploads
        self._progress = progress
        self._clock = clock
        self._import = importer
        self._files = files
        self._heartbeat = heartbeat

    async def __call__(
        self, caller: Caller, upload_id: int, path: str, filename: str
    ) -> RegistryUpload:
        upload, supplier = await self._found(caller, upload_id)
        rejected: list[RejectedRow] = []
        accepted = unchanged = 0
        read = _RowsRead()
        # Failed unless the import gets to its end (an error, or the app stopping half-way).
        status = "failed"
        # Made before the import's transaction opens, so it runs in none (and ends with us).
        beating = asyncio.create_task(self._beat(upload_id, read))
        try:
            accepted, unchanged = await self._run(caller, supplier, path, filename, rejected, read)
            status = "done"
        except DomainError as error:
            rejected = [*[r for r in rejected if is_note(r)], RejectedRow(0, error.violations)]
        except Exception:
            rejected = [RejectedRow(0, (Violation("portal.upload_failed"),))]
            raise
        finally:
            beating.cancel()
            await asyncio.gather(beating, return_exceptions=True)
            counts = (read.rows, accepted, len([r for r in rejected if r.line]), unchanged)
            await self._finish(upload_id, status, counts, rejected)
        return replace(
            upload,
            status=status,
            rows=read.rows,
            accepted=accepted,
            rejected=counts[2],
            unchanged=unchanged,
        )

    async def _beat(self, upload_id: int, read: _RowsRead) -> None:
        """Every `heartbeat` seconds until cancelled: the rows read so far and a sign of life,
        each in a short transaction of its own. A report that fails is only logged: the import
        goes on, and the next report may land."""
        while True:
            await asyncio.sleep(self._heartbeat)
            try:
                await self._progress.report(upload_id, read.rows, self._clock.now())
            except Exception:
                _log.warning("upload %s: progress not recorded", upload_id, exc_info=True)

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
        path: str,
        filename: str,
        rejected: list[RejectedRow],
        read: _RowsRead,
    ) -> tuple[int, int]:
        """The import of the supplier's own rows; the number accepted, and of those unchanged."""
        opened = await asyncio.to_thread(self._files.open_registry, path, kind_of(filename))
        if opened.encoding is not None:
            rejected.append(encoding_note(opened.encoding))
        try:
            rows = _own_rows(opened, supplier, rejected, read)
            # The same file uploaded again after a cut-off resumes its import (ADR 0016).
            key = f"supplier:{supplier.id}:" + await asyncio.to_thread(
                self._files.fingerprint, path
            )
            actor = actor_of(caller)
            report = await self._import(actor, opened.columns, rows, rejected.append, key=key)
            return report.accepted, report.counts.unchanged
        finally:
            opened.close()

    async def _finish(
        self,
        upload_id: int,
        status: str,
        counts: tuple[int, int, int, int],
        rejected: list[RejectedRow],
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
    read: _RowsRead,
) -> Iterator[tuple[int, Mapping[str, str | None]]]:
    """The file's rows of this supplier; a row of another goes to `rejected`. Counts rows read
    into `read` as it goes (it runs in ImportRegistry's worker thread)."""
    for line, row in opened.rows():
        read.rows += 1
        named = (row.get("supplier") or "").strip()
        if named and named != supplier.code:
            other = Violation("portal.other_supplier", {"supplier": named[:40]})
            rejected.append(RejectedRow(line, (other,)))
            continue
        yield line, row


class RegistryUploads:
    """A supplier's recent uploads, and one upload with its report. Reads, except that a running
    upload gone silent for CUT_OFF is recorded as cut off when read: so a page never shows
    'running' for ever, even when no one uploads again (a new upload records it too)."""

    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        uploads: RegistryUploadRepository,
        progress: UploadProgressLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._uploads = uploads
        self._progress = progress
        self._clock = clock

    async def recent(self, caller: Caller, code: str | None) -> list[RegistryUpload]:
        supplier, found = await self._recent(caller, code)
        if await self._cut_off(supplier, found):
            supplier, found = await self._recent(caller, code)
        return found

    async def get(self, caller: Caller, code: str | None, upload_id: int) -> RegistryUpload:
        supplier, upload = await self._one(caller, code, upload_id)
        if await self._cut_off(supplier, [upload]):
            supplier, upload = await self._one(caller, code, upload_id)
        return upload

    async def _recent(
        self, caller: Caller, code: str | None
    ) -> tuple[Supplier, list[RegistryUpload]]:
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            return supplier, await self._uploads.uploads(supplier.id, RECENT)

    async def _one(
        self, caller: Caller, code: str | None, upload_id: int
    ) -> tuple[Supplier, RegistryUpload]:
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            upload = await self._uploads.upload(upload_id)
        if upload is None or upload.supplier_id != supplier.id:
            raise DomainError.of("portal.upload_not_found")
        return supplier, upload

    async def _cut_off(self, supplier: Supplier, uploads: list[RegistryUpload]) -> bool:
        """Records the stale running uploads as cut off; whether any was. Writes only when one
        looks stale, so reading stays reading."""
        now = self._clock.now()
        if not any(is_stale(u, now - CUT_OFF) for u in uploads):
            return False
        return await self._progress.cut_off(supplier.id, now - CUT_OFF, now) > 0
