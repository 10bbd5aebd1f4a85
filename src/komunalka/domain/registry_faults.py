"""A registry row the file's reader could not hand over as cells: a NUL byte in it, a cell longer
than a CSV reader takes, bytes its encoding cannot read. The reader puts such a row in place of
its cells (`faulty_row`), and `parse_registry_row` refuses it with the fault's code, so it is
reported by line like any bad row while the good rows land.

Codes: ``registry.nul_byte``, ``registry.cell_too_long`` (``limit``: characters),
``registry.bad_bytes`` (``encoding``), ``registry.unreadable_row``.
"""

from __future__ import annotations

from collections.abc import Mapping

from komunalka.domain.errors import Violation

# The key of a faulty row's code, and the prefix of its parameters: no header can name them.
ROW_FAULT = "\x00fault"


def faulty_row(code: str, **params: str) -> dict[str, str | None]:
    """A row that stands for a fault found while reading it."""
    row: dict[str, str | None] = {ROW_FAULT: code}
    row.update({ROW_FAULT + name: value for name, value in params.items()})
    return row


def fault_of(raw: Mapping[str, str | None]) -> list[Violation]:
    """The violation a `faulty_row` stands for."""
    prefix = len(ROW_FAULT)
    params = {
        key[prefix:]: value or ""
        for key, value in raw.items()
        if key.startswith(ROW_FAULT) and key != ROW_FAULT
    }
    return [Violation(raw[ROW_FAULT] or "registry.unreadable_row", params)]
