"""ExportReadings: a supplier's accepted readings for a period as CSV, JSON or XLSX, streamed.

Who may call it: staff of that supplier and administrators (``can_manage_supplier``), the
supplier's pull-API tokens and the service itself (the command line). Read-only; memory stays
flat whatever the period's size. Each format is written straight from the rows: CSV by the
database as it yields them (COPY on PostgreSQL), JSON as a streamed array of objects, XLSX as a
write-only workbook on disk. Columns: ``EXPORT_COLUMNS`` (ports.ExportRow).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

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

__all__ = ["EXPORT_COLUMNS", "FORMATS", "ExportReadings", "from_sink"]


class ExportReadings:
    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        exports: ReadingExports,
        files: Spreadsheets,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._exports = exports
        self._files = files

    async def __call__(
        self, caller: Caller, code: str | None, period: BillingPeriod, fmt: str, sink: Sink
    ) -> None:
        """Writes the export in `fmt` (one of ``FORMATS``, else ``portal.bad_format``)."""
        if fmt not in FORMATS:
            raise DomainError.of("portal.bad_format")
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            if fmt == "csv":
                await self._exports.export_csv(supplier.id, period, sink)
            elif fmt == "json":
                await readings_json(self._exports.export_rows(supplier.id, period), sink)
            else:
                await self._as_xlsx(supplier.id, period, sink)

    def stream(
        self, caller: Caller, code: str | None, period: BillingPeriod, fmt: str
    ) -> AsyncIterator[bytes]:
        """The same as an async iterator of bytes (for a streamed HTTP response)."""
        return from_sink(lambda sink: self(caller, code, period, fmt, sink))

    async def _as_xlsx(self, supplier_id: int, period: BillingPeriod, sink: Sink) -> None:
        writer = self._files.xlsx_writer(EXPORT_COLUMNS)
        try:
            async for chunk in self._exports.export_rows(supplier_id, period):
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
