"""The period's file at the window's close: when a supplier's window closes, its readings for that
period are written once in the supplier's chosen format, kept for download, and announced.

`WritePeriodFiles` is the worker's periodic job (bootstrap/jobs.py). Who may call it: the service.
Guarantees: one file per supplier and period, whatever the number of workers running it at once
(the store's primary key decides; a loser writes nothing) and however often it runs (a file kept
is never written again, a restart included); the content is exactly the export of the period
(`export_readings.write_export`: the same writer as a download) taken in the transaction that
keeps it; the announcement (``period.file_ready``) is recorded, and queued for the supplier's
webhook where one is set (`WebhookEvents`: the worker pushes it after the commit, signed and
retried like the feed's batches, ADR 0017), in that same transaction, so a kept file is always
announced and an announced file always kept.

`ListPeriodFiles` and `ReadPeriodFile`: the portal's and the pull API's. Who may call them: staff
of that supplier and administrators, the supplier's pull-API tokens. Read-only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from komunalka.application.shared.ports import Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.export_readings import FORMATS, write_export
from komunalka.application.suppliers.feed_ports import WebhookEvents
from komunalka.application.suppliers.files import Spreadsheets
from komunalka.application.suppliers.ports import (
    PERIOD_FILE_READY,
    PeriodFile,
    PeriodFileStore,
    ReadingExports,
    SupplierEvents,
    Suppliers,
)
from komunalka.application.suppliers.supplier_access import Caller, managed_supplier
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import Supplier
from komunalka.domain.periods import BillingPeriod

ANNOUNCED_FOR = timedelta(days=1)  # a webhook retried this long, then marked failed
LISTED = 24  # files listed in the portal: two years of monthly periods


@dataclass(frozen=True, slots=True)
class PeriodFilesReport:
    written: int = 0
    # Suppliers whose file for their last closed period was already kept (or kept meanwhile
    # by another worker).
    kept: int = 0


class WritePeriodFiles:
    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        exports: ReadingExports,
        files: Spreadsheets,
        store: PeriodFileStore,
        events: SupplierEvents,
        webhooks: WebhookEvents,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._exports = exports
        self._files = files
        self._store = store
        self._events = events
        self._webhooks = webhooks
        self._clock = clock

    async def __call__(self) -> PeriodFilesReport:
        now = self._clock.now()
        async with self._transactions():  # a read first: most runs find every file kept
            suppliers = await self._suppliers.all()
            formats = await self._store.file_formats()
            due = [
                (s, s.window.last_closed(now).period)
                for s in suppliers
                if not await self._store.has(s.id, s.window.last_closed(now).period)
            ]
        written = 0
        for supplier, period in due:
            fmt = formats.get(supplier.id, "csv")
            if await self._write(supplier, period, fmt if fmt in FORMATS else "csv", now):
                written += 1
        return PeriodFilesReport(written, len(suppliers) - written)

    async def _write(
        self, supplier: Supplier, period: BillingPeriod, fmt: str, now: datetime
    ) -> bool:
        """One supplier's file, in one write transaction: checked, written, kept, announced."""
        async with self._transactions(write=True) as tx:
            if await self._store.has(supplier.id, period):
                return False
            parts: list[bytes] = []

            async def sink(data: bytes) -> None:
                parts.append(bytes(data))

            # Every reading of the period: its window has closed, so none is held any more.
            await write_export(self._exports, self._files, supplier.id, period, fmt, sink, by=None)
            content = b"".join(parts)
            kept = PeriodFile(supplier.id, period, fmt, len(content), now)
            if not await self._store.add(kept, content):
                return False  # another worker kept it first
            payload = {
                "supplier": supplier.code,
                "period": str(period),
                "format": fmt,
                "size": len(content),
                "path": f"/api/v1/supplier/periods/{period}/file",
            }
            # Pushed by the worker after the commit, signed and retried like the feed's batches.
            data = json.dumps(payload, ensure_ascii=False, sort_keys=True)
            webhook_id = await self._webhooks.enqueue(
                supplier.id, PERIOD_FILE_READY, data, now, now + ANNOUNCED_FOR
            )
            queued = now if webhook_id is not None else None
            await self._events.record(supplier.id, PERIOD_FILE_READY, period, payload, now, queued)
            await tx.commit()
        return True


class ListPeriodFiles:
    def __init__(
        self, transactions: Transactions, suppliers: Suppliers, store: PeriodFileStore
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._store = store

    async def __call__(self, caller: Caller, code: str | None) -> list[PeriodFile]:
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            return await self._store.of_supplier(supplier.id, LISTED)


@dataclass(frozen=True, slots=True)
class KeptFile:
    file: PeriodFile
    content: bytes
    supplier_code: str


class ReadPeriodFile:
    """A kept file with its content; ``portal.no_period_file`` when the period has none (yet)."""

    def __init__(
        self, transactions: Transactions, suppliers: Suppliers, store: PeriodFileStore
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._store = store

    async def __call__(self, caller: Caller, code: str | None, period: BillingPeriod) -> KeptFile:
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            found = await self._store.kept(supplier.id, period)
        if found is None:
            raise DomainError.of("portal.no_period_file", period=str(period))
        return KeptFile(found[0], found[1], supplier.code)
