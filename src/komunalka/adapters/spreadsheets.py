"""Registries read from CSV or XLSX, exports written as XLSX, streamed both ways: a file of a
million rows is never held whole. XLSX goes through openpyxl's read-only and write-only modes.
This is the one registry reader: the command line's import and the portal's uploads alike."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from komunalka.domain.errors import DomainError
from komunalka.domain.registry import named_cells

# A header longer than this is not a registry's.
MAX_COLUMNS = 100
CHUNK = 64 * 1024


class CsvRegistry:
    """A CSV registry: UTF-8 with or without a BOM, comma or semicolon separated."""

    def __init__(self, path: str) -> None:
        self._raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._file = io.TextIOWrapper(self._raw, "utf-8-sig", newline="")
        try:
            first = self._file.readline()
        except UnicodeDecodeError as exc:
            self._file.close()
            raise DomainError.of("portal.unreadable_file") from exc
        delimiter = ";" if first.count(";") > first.count(",") else ","
        header = next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
        self.columns = [c.strip().lower() for c in header][:MAX_COLUMNS]
        self._reader = csv.reader(self._file, delimiter=delimiter)

    def rows(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        reader, columns = self._reader, self.columns
        try:
            for cells in reader:
                # A blank row is skipped; the first cell settles most rows at once (the hot
                # path of a million-row import).
                if cells and (cells[0].strip() or "".join(cells).strip()):
                    # the header is not the reader's: its line numbers start one later
                    yield reader.line_num + 1, named_cells(columns, cells)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise DomainError.of("portal.unreadable_file") from exc

    def position(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._file.close()


class XlsxRegistry:
    """The first sheet of an XLSX workbook, read row by row."""

    def __init__(self, path: str) -> None:
        from openpyxl import load_workbook

        try:
            self._book = load_workbook(path, read_only=True, data_only=True)
            self._rows = self._book.worksheets[0].iter_rows(values_only=True)
            header = next(self._rows, ())
        except Exception as exc:  # a zip that is not a workbook, a broken one: all unreadable
            raise DomainError.of("portal.unreadable_file") from exc
        self.columns = [_text(c).strip().lower() for c in header][:MAX_COLUMNS]

    def rows(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        for line, cells in enumerate(self._rows, start=2):
            texts = [_text(c) for c in cells]
            if not any(t.strip() for t in texts):
                continue
            yield line, named_cells(self.columns, texts)

    def position(self) -> None:
        return None  # openpyxl does not tell how far into the workbook it has read

    def close(self) -> None:
        self._book.close()


def _text(cell: Any) -> str:
    """A cell as the registry's text: whole numbers without ``.0``, dates as ISO dates."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if hasattr(cell, "date") and callable(cell.date):
        return str(cell.date().isoformat())
    return str(cell)


class OpenpyxlSpreadsheets:
    """The Spreadsheets port."""

    def open_registry(self, path: str, kind: str) -> CsvRegistry | XlsxRegistry:
        return XlsxRegistry(path) if kind == "xlsx" else CsvRegistry(path)

    def fingerprint(self, path: str) -> str:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()

    def xlsx_writer(self, columns: Sequence[str]) -> OpenpyxlWriter:
        return OpenpyxlWriter(columns)


class OpenpyxlWriter:
    """A write-only workbook: openpyxl spools its rows to disk, the saved file goes to a
    temporary file that is read back in chunks and removed."""

    def __init__(self, columns: Sequence[str]) -> None:
        from openpyxl import Workbook

        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("readings")
        self._sheet.append(list(columns))
        self._path: str | None = None

    def extend(self, rows: Iterable[Sequence[object]]) -> None:
        for row in rows:
            self._sheet.append(list(row))

    def chunks(self) -> Iterator[bytes]:
        handle, self._path = tempfile.mkstemp(prefix="komunalka-", suffix=".xlsx")
        os.close(handle)
        try:
            self._book.save(self._path)
            with open(self._path, "rb") as saved:
                while chunk := saved.read(CHUNK):
                    yield chunk
        finally:
            self.discard()

    def discard(self) -> None:
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path)
            self._path = None
