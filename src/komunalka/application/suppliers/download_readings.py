"""DownloadReadings: a supplier's accepted readings for a period as CSV, JSON or XLSX, streamed.

Who may call it: staff of that supplier, administrators (``can_manage_supplier``) and the
supplier's pull-API tokens. Read-only; memory stays flat whatever the period's size: CSV goes out
as the database yields it, JSON is a streamed array of objects, XLSX a write-only workbook on disk.
Columns are ExportReadings' (``EXPORT_COLUMNS``).
"""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from decimal import Decimal

from komunalka.application.ports import Spreadsheets, UnitOfWorkFactory
from komunalka.application.suppliers.export_readings import EXPORT_COLUMNS
from komunalka.application.suppliers.supplier_access import Caller, managed_supplier
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
Sink = Callable[[bytes], Awaitable[None]]
VALUE = EXPORT_COLUMNS.index("value")


class CsvLines:
    """Rows out of a CSV byte stream cut anywhere (COPY's chunks split lines); the header is
    skipped. The export's fields never hold a line break."""

    def __init__(self) -> None:
        self._rest = b""
        self._header = True

    def feed(self, data: bytes) -> list[list[str]]:
        lines = (self._rest + data).split(b"\n")
        self._rest = lines.pop()
        rows = list(csv.reader(line.decode() for line in lines if line))
        if self._header and rows:
            rows, self._header = rows[1:], False
        return rows


def json_row(row: Sequence[str]) -> bytes:
    """One reading as a JSON object; the value as a JSON number, digit for digit as stored."""
    parts = []
    for name, text in zip(EXPORT_COLUMNS, row, strict=False):
        raw = name == "value" and _is_number(text)
        parts.append(f"{json.dumps(name)}: {text if raw else json.dumps(text, ensure_ascii=False)}")
    return ("{" + ", ".join(parts) + "}").encode()


def _is_number(text: str) -> bool:
    return bool(text) and text.replace(".", "", 1).isdigit()


class DownloadReadings:
    def __init__(self, uow: UnitOfWorkFactory, files: Spreadsheets) -> None:
        self._uow = uow
        self._files = files

    async def __call__(
        self, caller: Caller, code: str | None, period: BillingPeriod, fmt: str, sink: Sink
    ) -> None:
        if fmt not in FORMATS:
            raise DomainError.of("portal.bad_format")
        async with self._uow() as uow:
            supplier = await managed_supplier(uow, caller, code)
            if fmt == "csv":
                await uow.queries.export_csv(supplier.id, period, sink)
            elif fmt == "json":
                await _as_json(uow.queries.export_csv, supplier.id, period, sink)
            else:
                await self._as_xlsx(uow.queries.export_csv, supplier.id, period, sink)

    def stream(
        self, caller: Caller, code: str | None, period: BillingPeriod, fmt: str
    ) -> AsyncIterator[bytes]:
        """The same as an async iterator of bytes (for a streamed HTTP response)."""
        return from_sink(lambda sink: self(caller, code, period, fmt, sink))

    async def _as_xlsx(
        self,
        export: Callable[[int, BillingPeriod, Sink], Awaitable[None]],
        supplier_id: int,
        period: BillingPeriod,
        sink: Sink,
    ) -> None:
        writer = self._files.xlsx_writer(EXPORT_COLUMNS)
        lines = CsvLines()

        async def rows(data: bytes) -> None:
            typed = [[*r[:VALUE], _decimal(r[VALUE]), *r[VALUE + 1 :]] for r in lines.feed(data)]
            await asyncio.to_thread(writer.extend, typed)

        try:
            await export(supplier_id, period, rows)
            await rows(b"\n")
            chunks = writer.chunks()
            while chunk := await asyncio.to_thread(next, chunks, b""):
                await sink(chunk)
        finally:
            writer.discard()


async def _as_json(
    export: Callable[[int, BillingPeriod, Sink], Awaitable[None]],
    supplier_id: int,
    period: BillingPeriod,
    sink: Sink,
) -> None:
    lines = CsvLines()
    first = True

    async def rows(data: bytes) -> None:
        nonlocal first
        items = [json_row(r) for r in lines.feed(data)]
        if items:
            await sink((b"\n" if first else b",\n") + b",\n".join(items))
            first = False

    await sink(b"[")
    await export(supplier_id, period, rows)
    await rows(b"\n")
    await sink(b"\n]\n")


def _decimal(text: str) -> Decimal | str:
    return Decimal(text) if _is_number(text) else text


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
