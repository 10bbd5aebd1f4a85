"""ImportRegistry: a supplier's registry (accounts, meters, last readings) from rows of a file.

Who may call it: supplier staff and administrators. Guarantees: every row is checked; a bad row
is reported (line, codes) and does not land, while good rows do; a row lands whole or not at all
(account, meter and reading together). Rows are streamed: memory stays flat in the file's size.

The import never holds residents' meters for long (ADR 0016): the file is staged chunk by chunk
and then merged in batches of BATCH rows, each step a short transaction of its own, so a
submission waits at most for one batch. An import cut off half-way and run again with the same
`key` (the file's hash) carries on where it stopped and ends as if never cut off, with the same
report; duplicates are reported at the end.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import (
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, replace
from typing import TypeVar

from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import AuditLog, Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.files import Spreadsheets
from komunalka.application.suppliers.ports import (
    MergeCounts,
    RejectedRow,
    StagedRow,
    Suppliers,
)
from komunalka.application.suppliers.registry_staging import ImportJob, RegistryStaging
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.registry import (
    REQUIRED,
    RegistryRow,
    cells_checker,
    parse_registry_row,
)

# Rows checked and staged at a time: memory stays within a few chunks whatever the file's size.
# A resumed import counts on the same chunks, so this is part of what a staged import means.
CHUNK = 50_000
# Rows merged per transaction: the longest a submission to a listed meter may wait is one batch.
BATCH = 5_000

T = TypeVar("T")
# A row by column, or (from a file's reader) its cells in the header's order.
Raw = Mapping[str, str | None] | list[str]
Source = Iterator[tuple[int, Raw]]
CheckCells = Callable[[Sequence[str]], RegistryRow | list[Violation]]
Checked = tuple[int, list[StagedRow], list[RejectedRow], object]


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
        batch: int = BATCH,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._registry = registry
        self._audit = audit
        self._clock = clock
        self._batch = batch

    async def __call__(
        self,
        actor: Actor,
        columns: Sequence[str],
        rows: Iterable[tuple[int, Raw]],
        on_rejected: Callable[[RejectedRow], None],
        on_progress: Callable[[int], None] | None = None,
        key: str | None = None,
    ) -> ImportReport:
        if missing := [c for c in REQUIRED if c not in columns]:
            raise DomainError.of("registry.bad_header", columns=", ".join(missing))
        async with self._transactions() as tx:
            suppliers = {s.code: s.id for s in await self._suppliers.all()}
        # A file without the column says nothing of water heaters: their flags stay.
        listed = "water_heater" in columns
        async with self._transactions(write=True) as tx:
            job = await self._registry.open(key, self._clock.now(), listed)
            await tx.commit()
        source = iter(rows)
        read, rejected = await self._stage(
            job, source, suppliers, on_rejected, on_progress, columns
        )
        while await self._step(lambda: self._registry.merge(job, self._batch)):
            pass
        async with self._transactions(write=True) as tx:
            counts, duplicates = await self._registry.finish(job)
            accepted = counts.staged - counts.duplicates
            details = {
                "rows": read,
                "accepted": accepted,
                "meters": counts.meters,
                "unchanged": counts.unchanged,
            }
            now = self._clock.now()
            await self._audit.record(actor, "registry.import", "registry", details, now)
            await tx.commit()
        for line in duplicates:
            on_rejected(RejectedRow(line, (Violation("registry.duplicate_serial"),)))
        return ImportReport(read, accepted, rejected + counts.duplicates, counts)

    async def _stage(
        self,
        job: ImportJob,
        source: Source,
        suppliers: Mapping[str, int],
        on_rejected: Callable[[RejectedRow], None],
        on_progress: Callable[[int], None] | None,
        columns: Sequence[str],
    ) -> tuple[int, int]:
        """Checks every row and stages the chunks not staged yet; (rows read, rows rejected)."""
        read = rejected = 0
        cells = cells_checker(columns)
        # Reading and checking rows runs in a worker thread, so the database stages the
        # previous chunk meanwhile.
        # What staging a chunk needs of it alone is made there too (RegistryStaging.prepare).
        prepare = functools.partial(self._registry.prepare, job)
        check = functools.partial(_check_some, source, suppliers, cells, prepare)
        checking = asyncio.create_task(asyncio.to_thread(check))
        try:
            while (checked := await checking)[0]:
                count, good, bad, prepared = checked
                checking = asyncio.create_task(asyncio.to_thread(check))
                read, rejected = read + count, rejected + len(bad)
                for row in bad:
                    on_rejected(row)
                if on_progress:
                    on_progress(read)
                # A chunk is staged whole or not at all: one staged before a cut-off is skipped.
                if good and good[-1].line > job.staged_through:
                    await self._stage_chunk(job, good, prepared)
        finally:
            await asyncio.gather(checking, return_exceptions=True)
        return read, rejected

    async def _stage_chunk(self, job: ImportJob, chunk: list[StagedRow], prepared: object) -> None:
        async with self._transactions(write=True) as tx:
            await self._registry.stage(job, chunk, prepared)
            await tx.commit()

    async def _step(self, step: Callable[[], Awaitable[T]]) -> T:
        async with self._transactions(write=True) as tx:
            result = await step()
            await tx.commit()
        return result


def _check_some(
    source: Source,
    suppliers: Mapping[str, int],
    cells: CheckCells,
    prepare: Callable[[list[StagedRow]], object],
) -> Checked:
    """Up to CHUNK rows from the source, checked: (rows read, good rows, bad rows, the good
    rows `prepare`d for staging, when any); a row given as its cells is checked by `cells`
    (domain.registry.cells_checker), alike."""
    good: list[StagedRow] = []
    bad: list[RejectedRow] = []
    count = 0
    for line, raw in itertools.islice(source, CHUNK):
        count += 1
        parsed = cells(raw) if isinstance(raw, list) else parse_registry_row(raw)
        if isinstance(parsed, list):
            bad.append(RejectedRow(line, tuple(parsed)))
            continue
        supplier_id = suppliers.get(parsed.supplier)
        if supplier_id is None:
            unknown = Violation("registry.unknown_supplier", {"supplier": parsed.supplier})
            bad.append(RejectedRow(line, (unknown,)))
            continue
        good.append(StagedRow(line, supplier_id, parsed))
    return count, good, bad, prepare(good) if good else None


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
        # The file's hash names the import: a run cut off is resumed by running the file again.
        key = "file:" + await asyncio.to_thread(self._files.fingerprint, path)
        opened = await asyncio.to_thread(self._files.open_registry, path, kind)
        try:

            def progress(_: int) -> None:
                position = opened.position()
                if on_progress is not None and position is not None:
                    on_progress(position)

            columns, rows = opened.columns, opened.cells()
            report = await self._import(actor, columns, rows, on_rejected, progress, key)
            return replace(report, encoding=opened.encoding)
        finally:
            opened.close()
