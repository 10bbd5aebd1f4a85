"""The port of a registry import's steps (ADR 0016), and what its steps share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from komunalka.application.suppliers.ports import MergeCounts, StagedRow


@dataclass(frozen=True, slots=True)
class ImportJob:
    """One registry import as it runs: its id, the time its readings carry, whether its file
    lists water heaters, the process running it (`runner`), and the last line already staged
    (a resumed import skips the chunks up to it)."""

    id: int
    runner: str
    at: datetime
    water_heaters: bool
    staged_through: int = 0


class ImportTakenOver(RuntimeError):
    """Another run of the same file took the import over: this run's step wrote nothing."""


class RegistryStaging(Protocol):
    """A registry import in short steps (ADR 0016). Each call runs in the caller's transaction
    and the caller commits it alone: a step that fails or is cut off leaves nothing, and one
    that commits is never done again. Each step after `open` raises ImportTakenOver, writing
    nothing, if another run has taken the import over."""

    async def open(self, key: str | None, at: datetime, water_heaters: bool) -> ImportJob:
        """The import of this `key` that never finished, taken over by this run (its `at` and
        `water_heaters` are the first run's), or a new one (always when `key` is None)."""
        ...

    def prepare(self, job: ImportJob, chunk: list[StagedRow]) -> object:
        """What staging `chunk` needs that no database holds, made ahead without one: called in
        the row check's worker thread, for `stage` to take as `prepared`. Touches no state of
        the step's transaction."""
        ...

    async def stage(self, job: ImportJob, chunk: list[StagedRow], prepared: object = None) -> None:
        """Lands a chunk of checked rows in line order, after every earlier chunk: a row
        repeating an earlier row's meter (supplier and serial) is recorded as a duplicate; the
        rest wait to be merged, except that rows no one can have submitted to (a new account,
        all its meters new) may land at once. The chunk's counts are added to the job's.
        `prepared`: `prepare`'s result for this chunk, if made (else made here)."""
        ...

    async def merge(self, job: ImportJob, batch: int) -> bool:
        """Merges up to `batch` waiting rows, the earliest lines first: upserts accounts and
        meters (a meter listed again moves its revision on) and adds the readings not yet
        known. `water_heaters`: the file lists them, so a listed meter's flag becomes the
        row's; otherwise a meter keeps its flag, except one no longer of hot water. False when
        no row was left."""
        ...

    async def finish(self, job: ImportJob) -> tuple[MergeCounts, list[int]]:
        """Records the import as done: its counts over every step, and the duplicates' lines."""
        ...
