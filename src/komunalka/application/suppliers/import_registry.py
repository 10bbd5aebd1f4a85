"""ImportRegistry: a supplier's registry (accounts, meters, last readings) from rows of a file.

Who may call it: supplier staff and administrators. Guarantees: every row is checked; a bad row
is reported (line, codes) and does not land, while good rows do; a row lands whole or not at all
(account, meter and reading together); the import is one transaction, so a failure half-way
leaves nothing behind. Rows are streamed: memory stays flat in the file's size.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import AuditLog, Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.files import Spreadsheets
from komunalka.application.suppliers.ports import (
    MergeCounts,
    RegistryStaging,
    RejectedRow,
    StagedRow,
    Suppliers,
)
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.registry import REQUIRED, parse_registry_row

# Rows checked and merged at a time: memory stays within a few chunks whatever the file's size.
CHUNK = 50_000


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: int
    accepted: int
    rejected: int
    counts: MergeCounts
    # The file's text encoding, where the import read a text file (ImportRegistryFile).
    encoding: str | None = None


class ImportRegistry:
    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        registry: RegistryStaging,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._registry = registry
        self._audit = audit
        self._clock = clock

    async def __call__(
        self,
        actor: Actor,
        columns: Sequence[str],
        rows: Iterable[tuple[int, Mapping[str, str | None]]],
        on_rejected: Callable[[RejectedRow], None],
        on_progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        if missing := [c for c in REQUIRED if c not in columns]:
            raise DomainError.of("registry.bad_header", columns=", ".join(missing))
        source = iter(rows)
        read = rejected = 0
        async with self._transactions(write=True) as tx:
            suppliers = {s.code: s.id for s in await self._suppliers.all()}

            async def chunks() -> AsyncIterator[list[StagedRow]]:
                nonlocal read, rejected
                while True:
                    # Reading and checking rows runs in a worker thread, so the database merges
                    # the previous chunk meanwhile.
                    count, good, bad = await asyncio.to_thread(_check_some, source, suppliers)
                    if count == 0:
                        return
                    read, rejected = read + count, rejected + len(bad)
                    for row in bad:
                        on_rejected(row)
                    if on_progress:
                        on_progress(read)
                    yield good

            def on_duplicate(line: int) -> None:
                on_rejected(RejectedRow(line, (Violation("registry.duplicate_serial"),)))

            # A file without the column says nothing of water heaters: their flags stay.
            listed = "water_heater" in columns
            counts = await self._registry.load(
                chunks(), self._clock.now(), on_duplicate, water_heaters=listed
            )
            accepted = counts.staged - counts.duplicates
            details = {"rows": read, "accepted": accepted, "meters": counts.meters}
            now = self._clock.now()
            await self._audit.record(actor, "registry.import", "registry", details, now)
            await tx.commit()
        return ImportReport(read, accepted, rejected + counts.duplicates, counts)


def _check_some(
    source: Iterator[tuple[int, Mapping[str, str | None]]], suppliers: Mapping[str, int]
) -> tuple[int, list[StagedRow], list[RejectedRow]]:
    """Up to CHUNK rows from the source, checked: (rows read, good rows, bad rows)."""
    good: list[StagedRow] = []
    bad: list[RejectedRow] = []
    count = 0
    for line, raw in itertools.islice(source, CHUNK):
        count += 1
        parsed = parse_registry_row(raw)
        if isinstance(parsed, list):
            bad.append(RejectedRow(line, tuple(parsed)))
            continue
        supplier_id = suppliers.get(parsed.supplier)
        if supplier_id is None:
            unknown = Violation("registry.unknown_supplier", {"supplier": parsed.supplier})
            bad.append(RejectedRow(line, (unknown,)))
            continue
        good.append(StagedRow(line, supplier_id, parsed))
    return count, good, bad


class ImportRegistryFile:
    """ImportRegistry over a file read by the one registry reader (CSV or XLSX): the command
    line's import. `on_progress` gets the bytes of the file read so far, where known."""

    def __init__(self, importer: ImportRegistry, files: Spreadsheets) -> None:
        self._import = importer
        self._files = files

    async def __call__(
        self,
        actor: Actor,
        path: str,
        kind: str,
        on_rejected: Callable[[RejectedRow], None],
        on_progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        opened = await asyncio.to_thread(self._files.open_registry, path, kind)
        try:

            def progress(_: int) -> None:
                position = opened.position()
                if on_progress is not None and position is not None:
                    on_progress(position)

            rows = opened.rows()
            report = await self._import(actor, opened.columns, rows, on_rejected, progress)
            return replace(report, encoding=opened.encoding)
        finally:
            opened.close()
