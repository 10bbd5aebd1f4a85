"""The files of the suppliers feature, written straight from their rows by every door alike: a
period's readings as CSV or JSON (XLSX goes through the Spreadsheets port), the non-submitters
as CSV or JSON, and the report of a registry's rejected rows. MIME types, file names and a BOM
for spreadsheet programs are the doors' business; so are the words of a rejection (`describe`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import TextIO

from komunalka.application.suppliers.ports import (
    EXPORT_COLUMNS,
    ExportRow,
    NonSubmitter,
    RejectedRow,
    Sink,
)
from komunalka.domain.errors import Violation

NON_SUBMITTER_COLUMNS = ("account", "holder", "address", "serial", "service")
REPORT_COLUMNS = ("line", "codes", "message")
Describe = Callable[[Violation], str]


def readings_csv(rows: Iterable[ExportRow], *, header: bool = False) -> bytes:
    """Rows of the export as CSV lines (the header first when asked)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(EXPORT_COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


def readings_json_item(row: ExportRow) -> bytes:
    """One reading as a JSON object; the value as a JSON number, digit for digit as stored."""
    parts = [
        f"{json.dumps(name)}: {json.dumps(text, ensure_ascii=False)}"
        for name, text in zip(EXPORT_COLUMNS, row, strict=True)
        if name != "value"
    ]
    parts.insert(EXPORT_COLUMNS.index("value"), f'"value": {row.value:f}')
    return ("{" + ", ".join(parts) + "}").encode()


async def readings_json(chunks: AsyncIterator[Sequence[ExportRow]], sink: Sink) -> None:
    """The export as one JSON array of objects, written chunk by chunk."""
    await sink(b"[")
    first = True
    async for chunk in chunks:
        if chunk:
            items = b",\n".join(readings_json_item(row) for row in chunk)
            await sink((b"\n" if first else b",\n") + items)
            first = False
    await sink(b"\n]\n")


def _non_submitter_cells(row: NonSubmitter) -> tuple[str, ...]:
    return (row.account_number, row.holder, row.address, row.meter_serial, row.service)


async def non_submitters_csv(rows: AsyncIterator[NonSubmitter]) -> AsyncIterator[bytes]:
    """The non-submitters as CSV: the header, then a line per meter as it comes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(NON_SUBMITTER_COLUMNS)
    async for row in rows:
        writer.writerow(_non_submitter_cells(row))
        yield out.getvalue().encode()
        out.seek(0)
        out.truncate()
    if out.tell():  # nobody is missing: the header alone
        yield out.getvalue().encode()


async def non_submitters_json(rows: AsyncIterator[NonSubmitter]) -> AsyncIterator[bytes]:
    """The non-submitters as one JSON array of {account, holder, address, serial, service}."""
    separator = b"[\n"
    async for row in rows:
        item = dict(zip(NON_SUBMITTER_COLUMNS, _non_submitter_cells(row), strict=True))
        yield separator + json.dumps(item, ensure_ascii=False).encode()
        separator = b",\n"
    yield b"[]\n" if separator == b"[\n" else b"\n]\n"


class RejectedRowsReport:
    """A registry's rejected rows as CSV (line, codes, message), written as they come: the
    command line's ``--report`` and the portal's download. A line of 0 (the file as a whole) is
    left empty; the messages of a row are sentences, joined by a space."""

    def __init__(self, out: TextIO, describe: Describe) -> None:
        self._csv = csv.writer(out, lineterminator="\n")
        self._describe = describe
        self.count = 0
        self._csv.writerow(REPORT_COLUMNS)

    def __call__(self, row: RejectedRow) -> None:
        self.count += 1
        message = " ".join(self._describe(v) for v in row.violations)
        self._csv.writerow((row.line or "", " ".join(row.codes), message))


def rejected_rows_csv(rows: Iterable[RejectedRow], describe: Describe) -> str:
    """The whole report, by line."""
    out = io.StringIO()
    report = RejectedRowsReport(out, describe)
    for row in sorted(rows, key=lambda r: r.line):
        report(row)
    return out.getvalue()
