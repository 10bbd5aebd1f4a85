"""Registries read from CSV (in the encodings `registry_text` tells) or XLSX, exports written as
XLSX, streamed both ways: a file of a million rows is never held whole. XLSX goes through
openpyxl's read-only and write-only modes. This is the one registry reader: the command line's
import and the portal's uploads alike."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from komunalka.adapters.registry_text import SAMPLE, ZIP, decoded, is_zip, text_encoding
from komunalka.domain.errors import DomainError
from komunalka.domain.registry import COLUMNS, named_cells
from komunalka.domain.registry_faults import faulty_row

# A header longer than this is not a registry's.
MAX_COLUMNS = 100
CHUNK = 64 * 1024


class CsvRegistry:
    """A CSV registry: comma, semicolon or tab separated, in the encoding `registry_text` tells
    (named in `encoding`). A row with a NUL, a cell too long for the CSV reader or bytes the
    encoding cannot read comes as a `faulty_row`: refused with its reason, the others land."""

    def __init__(self, path: str) -> None:
        self._raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        try:
            head = self._raw.read(SAMPLE)
            encoding = text_encoding(head)
        except BaseException:
            self._raw.close()
            raise
        self.encoding: str | None = encoding.label
        self._file, self._watch = decoded(self._raw, encoding)
        first = self._file.readline()
        delimiter = max((",", ";", "\t"), key=first.count)
        header = next(csv.reader([first], delimiter=delimiter), [])
        self.columns = _header(header)
        self._reader = csv.reader(self._file, delimiter=delimiter)

    def rows(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        for line, cells in self.cells():
            yield line, cells if isinstance(cells, dict) else named_cells(self.columns, cells)

    def cells(self) -> Iterator[tuple[int, list[str] | dict[str, str | None]]]:
        reader, watch = self._reader, self._watch
        while True:
            try:
                for cells in reader:
                    # A blank row is skipped; the first cell settles most rows at once (the hot
                    # path of a million-row import).
                    if cells and (cells[0].strip() or "".join(cells).strip()):
                        # the header is not the reader's: its line numbers start one later
                        if watch.suspect and (fault := self._fault(cells)):
                            yield reader.line_num + 1, fault
                        else:
                            yield reader.line_num + 1, cells
                return
            except csv.Error as exc:
                # The reader drops the rest of the line it stopped in and goes on with the next.
                yield reader.line_num + 1, _unreadable(exc)

    def _fault(self, cells: list[str]) -> dict[str, str | None] | None:
        text = "".join(cells)
        if "\x00" in text:
            return faulty_row("registry.nul_byte")
        if "\ufffd" in text:
            return faulty_row("registry.bad_bytes", encoding=self.encoding or "")
        return None

    def position(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._file.close()
        self._raw.close()


def _unreadable(error: csv.Error) -> dict[str, str | None]:
    if "field larger than field limit" in str(error):
        return faulty_row("registry.cell_too_long", limit=str(csv.field_size_limit()))
    return faulty_row("registry.unreadable_row")


def _header(cells: Sequence[str]) -> list[str]:
    """The header's column names; a first row naming none of the registry's columns is no
    header (a file of data rows alone, or not a registry)."""
    columns = [c.strip().lower() for c in cells][:MAX_COLUMNS]
    if not set(columns) & set(COLUMNS):
        raise DomainError.of("registry.no_header")
    return columns


class XlsxRegistry:
    """The first sheet of an XLSX workbook, read row by row."""

    def __init__(self, path: str) -> None:
        from openpyxl import load_workbook

        if not _is_workbook(path):
            raise DomainError.of("registry.zip_not_xlsx")
        # A file, not a path: openpyxl would refuse a workbook by its name (.csv) alone.
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        try:
            self._book = load_workbook(self._file, read_only=True, data_only=True)
            self._rows = self._book.worksheets[0].iter_rows(values_only=True)
            header = next(self._rows, ())
        except Exception as exc:  # a broken workbook, or one openpyxl cannot read: unreadable
            self._file.close()
            raise DomainError.of("portal.unreadable_file") from exc
        self.columns = _header([_text(c) for c in header])
        self.encoding: str | None = None

    def rows(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        for line, cells in self.cells():
            yield line, named_cells(self.columns, cells)

    def cells(self) -> Iterator[tuple[int, list[str]]]:
        for line, cells in enumerate(self._rows, start=2):
            texts = [_text(c) for c in cells]
            if not any(t.strip() for t in texts):
                continue
            yield line, texts

    def position(self) -> None:
        return None  # openpyxl does not tell how far into the workbook it has read

    def close(self) -> None:
        self._book.close()
        self._file.close()


def _is_workbook(path: str) -> bool:
    """A ZIP holding a workbook's part; a broken ZIP is left to openpyxl to refuse."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return True


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
        """The file's content decides, not its name (`kind`): a workbook saved as .csv is read
        as a workbook, a CSV named .xlsx as CSV."""
        with open(path, "rb") as file:
            head = file.read(len(ZIP))
        if not head:
            raise DomainError.of("registry.empty_file")
        return XlsxRegistry(path) if is_zip(head) else CsvRegistry(path)

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
