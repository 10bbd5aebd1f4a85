"""ExportReadings: a supplier's accepted readings for a period as CSV, JSON or XLSX, streamed.

Who may call it: staff of that supplier and administrators (``can_manage_supplier``), the
supplier's pull-API tokens and the service itself (the command line). Read-only; memory stays
flat whatever the period's size. A reading sent early is left out until its window opens (ADR
0018). Each format is written straight from the rows: CSV by the database as it yields them (COPY
on PostgreSQL), JSON as a streamed array of objects, XLSX as a write-only workbook on disk.
Columns: ``EXPORT_COLUMNS`` (ports.ExportRow).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

from komunalka.application.shared.ports import Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.files import Spreadsheets
from komunalka.application.suppliers.formats import readings_json
from komunalka.application.suppliers.ports import (
    EXPORT_COLUMNS,
    ReadingExports,
    Sink,
    Suppliers,
)
from komunalka.application.suppliers.supplier_access import Caller, managed_supplier
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod

FORMATS = ("csv", "json", "xlsx")

__all__ = ["EXPORT_COLUMNS", "FORMATS", "ExportReadings", "from_sink", "write_export"]


class ExportReadings:
    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        exports: ReadingExports,
        files: Spreadsheets,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._exports = exports
        self._files = files
        self._clock = clock

    async def __call__(
        self, caller: Caller, code: str | None, period: BillingPeriod, fmt: str, sink: Sink
    ) -> None:
        """Writes the export in `fmt` (one of ``FORMATS``, else ``portal.bad_format``)."""
        if fmt not in FORMATS:
            raise DomainError.of("portal.bad_format")
        now = self._clock.now()
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            await write_export(self._exports, self._files, supplier.id, period, fmt, sink, by=now)

    def stream(
        self, caller: Caller, code: str | None, period: BillingPeriod, fmt: str
    ) -> AsyncIterator[bytes]:
        """The same as an async iterator of bytes (for a streamed HTTP response)."""
        return from_sink(lambda sink: self(caller, code, period, fmt, sink))


async def write_export(
    exports: ReadingExports,
    files: Spreadsheets,
    supplier_id: int,
    period: BillingPeriod,
    fmt: str,
    sink: Sink,
    *,
    by: datetime | None,
) -> None:
    """The period's readings released by `by` (every one when None) in `fmt`, to `sink`, in
    the transaction the caller has open: what a download and the period's file both write."""
    if fmt == "csv":
        await exports.export_csv(supplier_id, period, sink, by)
    elif fmt == "json":
        await readings_json(exports.export_rows(supplier_id, period, by), sink)
    else:
        writer = files.xlsx_writer(EXPORT_COLUMNS)
        try:
            async for chunk in exports.export_rows(supplier_id, period, by):
                await asyncio.to_thread(writer.extend, chunk)
            chunks = writer.chunks()
            while data := await asyncio.to_thread(next, chunks, b""):
                await sink(data)
        finally:
            writer.discard()


async def from_sink(produce: Callable[[Sink], Awaitable[None]]) -> AsyncIterator[bytes]:
    """What a producer writes to a sink, as an async iterator. The producer runs in a task this
    iterator owns: it is cancelled when the reader stops, and its error is the reader's."""
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=16)

    async def sink(data: bytes) -> None:
        if data:
            # PostgreSQL's COPY hands out bytearrays; the reader gets bytes.
            await queue.put(bytes(data))

    async def run() -> None:
        try:
            await produce(sink)
        finally:
            await queue.put(None)

    task = asyncio.get_running_loop().create_task(run())
    try:
        while (item := await queue.get()) is not None:
            yield item
        await task
    finally:
        task.cancel()
