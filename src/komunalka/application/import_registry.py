"""ImportRegistry: a supplier's registry (accounts, meters, last readings) from rows of a file.

Who may call it: supplier staff and administrators. Guarantees: every row is checked; a bad row
is reported (line, codes) and does not land, while good rows do; a row lands whole or not at all
(account, meter and reading together); the import is one transaction, so a failure half-way
leaves nothing behind. Rows are streamed: memory stays flat in the file's size.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from komunalka.application.actors import Actor
from komunalka.application.ports import (
    Clock,
    MergeCounts,
    RejectedRow,
    StagedRow,
    UnitOfWorkFactory,
)
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.registry import REQUIRED, parse_registry_row

PROGRESS_EVERY = 10_000


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: int
    accepted: int
    rejected: int
    counts: MergeCounts


class ImportRegistry:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self,
        actor: Actor,
        columns: Sequence[str],
        rows: Iterable[tuple[int, Mapping[str, str | None]]],
        on_rejected: Callable[[RejectedRow], None],
        on_progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise DomainError.of("registry.bad_header", columns=", ".join(missing))
        seen = [0, 0]  # rows read, rows rejected
        async with self._uow(write=True) as uow:
            suppliers = {s.code: s.id for s in await uow.suppliers.all()}

            async def valid() -> AsyncIterator[StagedRow]:
                for line, raw in rows:
                    seen[0] += 1
                    if on_progress and seen[0] % PROGRESS_EVERY == 0:
                        on_progress(seen[0])
                    parsed = parse_registry_row(raw)
                    if isinstance(parsed, list):
                        seen[1] += 1
                        on_rejected(RejectedRow(line, tuple(parsed)))
                        continue
                    supplier_id = suppliers.get(parsed.supplier)
                    if supplier_id is None:
                        seen[1] += 1
                        unknown = Violation(
                            "registry.unknown_supplier", {"supplier": parsed.supplier}
                        )
                        on_rejected(RejectedRow(line, (unknown,)))
                        continue
                    yield StagedRow(line, supplier_id, parsed)

            staged = await uow.registry.stage(valid())
            duplicates = await uow.registry.duplicates()
            for line in duplicates:
                on_rejected(RejectedRow(line, (Violation("registry.duplicate_serial"),)))
            counts = await uow.registry.merge(self._clock.now())
            accepted = staged - len(duplicates)
            details = {"rows": seen[0], "accepted": accepted, "meters": counts.meters}
            await uow.audit.record(actor, "registry.import", "registry", details, self._clock.now())
            await uow.commit()
        if on_progress:
            on_progress(seen[0])
        return ImportReport(seen[0], accepted, seen[1] + len(duplicates), counts)
