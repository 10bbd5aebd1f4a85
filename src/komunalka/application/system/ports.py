"""The ports of the system's own work: whether storage answers, and what the demo loader writes
besides what other features' use cases write for it."""

from __future__ import annotations

from collections.abc import Sequence
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
