"""The ports of the suppliers feature to files and background work: the one registry reader
(CSV and XLSX) every door imports through, the XLSX writer of the export, and jobs that outlive a
request. Adapters: adapters/spreadsheets.py, the app's job runner."""

from __future__ import annotations

from collections.abc import Coroutine, Iterable, Iterator, Sequence
from typing import Any, Protocol


class RegistryFile(Protocol):
    """A registry opened for reading: its header and its rows, streamed. A row the reader
    could not read whole (a NUL in it, a cell too long) comes as a
    `domain.registry_faults.faulty_row`, refused by the row's check with its reason."""

    columns: list[str]

    @property
    def encoding(self) -> str | None:
        """The text encoding the file was read in, as people name it ("Windows-1251"); None
        for a workbook."""
        ...

    def rows(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        """(line number, row by column) for each data row; line 1 is the header."""
        ...

    def cells(self) -> Iterator[tuple[int, list[str] | dict[str, str | None]]]:
        """The same rows as their cells in the header's order (a faulty row still by column):
        `rows()` without a mapping made for each row, for a million-row import."""
        ...

    def position(self) -> int | None:
        """Bytes of the file read so far, where the format tells (CSV); None where not."""
        ...

    def close(self) -> None: ...


class XlsxWriter(Protocol):
    def extend(self, rows: Iterable[Sequence[object]]) -> None: ...

    def chunks(self) -> Iterator[bytes]:
        """Saves the workbook and yields its bytes; the temporary file goes with the last."""
        ...

    def discard(self) -> None: ...


class Spreadsheets(Protocol):
    """Registry files in (CSV or XLSX, the one reader of every door), workbooks out."""

    def open_registry(self, path: str, kind: str) -> RegistryFile:
        """`kind` is "csv" or "xlsx", what the file's name says; raises DomainError (one
        ``registry.*`` or ``portal.unreadable_file`` code) when the file is no table."""
        ...

    def fingerprint(self, path: str) -> str:
        """A hash of the file's bytes: the same file, the same hash."""
        ...

    def xlsx_writer(self, columns: Sequence[str]) -> XlsxWriter:
        """A one-sheet workbook with this header row, written as rows come (write-only)."""
        ...


class JobRunner(Protocol):
    """Work that outlives a request, run in the app's process and stopped with it."""

    def start(self, name: str, job: Coroutine[Any, Any, None]) -> None: ...
