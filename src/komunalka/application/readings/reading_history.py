"""ReadingHistory: a meter's readings with the consumption between them.

Who may call it: a resident for a meter of a linked account; staff and the system for any meter.
Read-only. Corrected (superseded) readings are listed too, flagged, so nothing is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from komunalka.application.readings.ports import SupplierTariffs
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.ports import Clock, MeterRepository, ReadingRepository
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import TOTAL, Meter
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus
from komunalka.domain.tariffs import Tariff, estimate_cost

DEFAULT_MONTHS = 12


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    reading: Reading
    # Use since the previous accepted reading of the register; None for the first one shown
    # and for superseded readings.
    consumption: Decimal | None
    # What that use costs at the supplier's tariff on the period's first day (UAH); None where
    # there is no use or no tariff.
    cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class MeterHistory:
    meter: Meter
    entries: list[HistoryEntry]
    # Whether a cost was priced from demo tariffs (published figures, not for billing).
    demo_prices: bool = False


class ReadingHistory:
    def __init__(
        self,
        transactions: Transactions,
        meters: MeterRepository,
        readings: ReadingRepository,
        tariffs: SupplierTariffs,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._meters = meters
        self._readings = readings
        self._tariffs = tariffs
        self._clock = clock

    async def __call__(
        self, actor: Actor, meter_id: int, months: int = DEFAULT_MONTHS
    ) -> MeterHistory:
        if not 1 <= months <= 120:
            raise DomainError.of("history.bad_months", limit=120)
        now = self._clock.now()
        async with self._transactions():
            found = await self._meters.contexts(
                [meter_id], lock=False, resident_id=actor.resident_id
            )
            if not found or (actor.kind is ActorKind.RESIDENT and not found[0].linked):
                raise DomainError.of("meter.not_found")
            # one month more than asked for, so the first shown month has its consumption
            since = BillingPeriod(now.year, now.month).shift(-months)
            readings = await self._readings.history(meter_id, since)
            tariffs = await self._tariffs.of_supplier(found[0].supplier.id)
        meter = found[0].meter
        entries = with_consumption(meter, readings, months, now.year * 12 + now.month - 1)
        priced = [_priced(e, meter, tariffs) for e in entries]
        demo = any(e.cost is not None for e in priced) and any(t.demo for t in tariffs)
        return MeterHistory(meter, priced, demo)


def _priced(entry: HistoryEntry, meter: Meter, tariffs: list[Tariff]) -> HistoryEntry:
    if entry.consumption is None:
        return entry
    period = entry.reading.period
    day = date(period.year, period.month, 1)
    cost = estimate_cost(tariffs, meter.service, {entry.reading.register: entry.consumption}, day)
    return replace(entry, cost=cost if entry.reading.register != TOTAL else None)


def with_consumption(
    meter: Meter, readings: list[Reading], months: int, current_index: int
) -> list[HistoryEntry]:
    """Entries newest first, each accepted one with its use since the register's previous one."""
    previous: dict[str, Reading] = {}
    entries = []
    for reading in readings:  # oldest first
        used = None
        if reading.status is ReadingStatus.ACCEPTED:
            before = previous.get(reading.register)
            if before is not None:
                used = reading.value - before.value
                if used < 0:  # the dial rolled over past its capacity
                    used += meter.capacity
            previous[reading.register] = reading
        if current_index - reading.period.index < months:
            entries.append(HistoryEntry(reading, used))
    entries.reverse()
    return entries


def use_by_zone(found: MeterHistory) -> tuple[list[str], dict[str, list[float]]]:
    """Accepted use per period, oldest first, for each zone of the meter (the total left out:
    the zones make it up); 0 where a zone's use in a period with some use is not known."""
    used = [
        e
        for e in found.entries
        if e.consumption is not None
        and e.reading.status is ReadingStatus.ACCEPTED
        and e.reading.register != TOTAL
    ]
    periods = sorted({e.reading.period for e in used})
    at = {p: i for i, p in enumerate(periods)}
    zones = {zone: [0.0] * len(periods) for zone in found.meter.zones}
    for e in used:
        if e.reading.register in zones:
            zones[e.reading.register][at[e.reading.period]] = float(e.consumption or 0)
    return [str(p) for p in periods], zones
