"""The ports of the system's own work: whether storage answers, and what the demo loader writes
besides what other features' use cases write for it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from komunalka.domain.meters import Meter
from komunalka.domain.readings import Reading
from komunalka.domain.tariffs import Tariff


class StorageProbe(Protocol):
    async def ping(self) -> None:
        """Raises when storage cannot be reached (inside an open transaction)."""
        ...


class MetersBySerial(Protocol):
    async def by_serials(self, supplier_id: int, serials: Sequence[str]) -> list[Meter]: ...


class ReadingsLedger(Protocol):
    async def add(self, readings: Sequence[Reading]) -> None: ...


class TariffBook(Protocol):
    async def add(self, tariff: Tariff) -> None: ...


class ExpiredRows(Protocol):
    """Rows past their use (clean_up.py), deleted in bounded batches, each in the caller's
    transaction."""

    async def delete(self, kind: str, before: datetime, limit: int) -> int:
        """Deletes at most `limit` rows of `kind` (one of clean_up.KINDS) that are past their use
        as of `before`; how many it deleted."""
        ...

    async def abandon_imports(self, started_before: datetime) -> int:
        """Marks the registry imports still running that started before this moment abandoned
        (their runner, if any is alive, is taken over and stops); how many."""
        ...


class Partitions(Protocol):
    """The monthly partitions of what grows (PostgreSQL; none on SQLite), in the caller's
    transaction."""

    async def create_ahead(self, now: datetime) -> int:
        """Makes the partitions of the current month and the next ones that are missing (rows
        a safety net took for them move in); how many it made."""
        ...
