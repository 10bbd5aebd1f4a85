"""Use far above a meter's usual: the rule behind leak and anomaly alerts (issue 15, item 4).

A reading is never refused for this (the submission's own `reading.jump` warning is a different
thing: it asks the sender to confirm a likely typo before it is accepted). Once a reading is
accepted, `unusual_use` says whether the month's use looks like a leak (a running cistern, a
dripping tap, a water heater left on) and why, so that the resident can be told after the fact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from statistics import median

from komunalka.domain.meters import Meter
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import ROLLOVER_SHARE, PastValue
from komunalka.domain.services import Service

OVER_USUAL = "consumption.over_usual"
OVER_CAP = "consumption.over_cap"

# A month above this is unusual whatever the meter's history: about twice a generous household
# figure (Service.typical_monthly_ceiling asks to confirm above that one before accepting).
DEFAULT_CAPS = {
    Service.HEAT: Decimal(8),
    Service.HOT_WATER: Decimal(40),
    Service.COLD_WATER: Decimal(60),
    Service.GAS: Decimal(800),
    Service.ELECTRICITY: Decimal(3000),
}
# A month below this is never a leak, however small the usual month (a flat left empty uses
# nothing; 2 m3 the month it is lived in again is no alarm). It also makes a zero median safe.
DEFAULT_FLOORS = {
    Service.HEAT: Decimal("0.5"),
    Service.HOT_WATER: Decimal(4),
    Service.COLD_WATER: Decimal(6),
    Service.GAS: Decimal(50),
    Service.ELECTRICITY: Decimal(150),
}


@dataclass(frozen=True, slots=True)
class UseLimits:
    """`factor` times the median month of the last `months` is unusual, judged only with at
    least `min_months` months of history; over the service's cap is unusual with any history;
    under its floor never is."""

    factor: Decimal = Decimal(3)
    months: int = 12
    min_months: int = 3
    caps: Mapping[Service, Decimal] = field(default_factory=lambda: dict(DEFAULT_CAPS))
    floors: Mapping[Service, Decimal] = field(default_factory=lambda: dict(DEFAULT_FLOORS))


@dataclass(frozen=True, slots=True)
class UnusualUse:
    """Why a month's use is unusual: `code` (OVER_USUAL or OVER_CAP), the month's `used` (every
    zone together), the `usual` (median) month and how many `months` it was taken over (None
    and 0 without enough history), and the service's `cap`."""

    code: str
    used: Decimal
    usual: Decimal | None
    months: int
    cap: Decimal


def unusual_use(
    meter: Meter,
    period: BillingPeriod,
    new: Mapping[str, Decimal],
    history: Mapping[str, Sequence[PastValue]],
    limits: UseLimits | None = None,
) -> UnusualUse | None:
    """Whether the new values (by register) of `period` make an unusual month for the meter.

    `history`: accepted values by register, oldest first (later periods are ignored, so a
    correction is judged against the period before it). The month's use is that of every zone
    (a total register is the zones' sum and is not counted again), since the last earlier
    reading, per month when readings were skipped. Nothing is judged when a zone has no earlier
    reading, or its value went down other than by a rollover (a replaced or reset meter).
    """
    limits = limits or UseLimits()
    zones = [z for z in meter.zones if z in new]
    if not zones:
        return None
    now = period.index
    # Each zone's earlier points as (month index, value), oldest first: plain ints compare
    # fast (this runs in every submission).
    points = {
        z: [(p.period.index, p.value) for p in history.get(z, ()) if p.period.index < now]
        for z in zones
    }
    used = Decimal(0)
    for zone in zones:
        earlier = points[zone]
        if not earlier:
            return None
        step = _step(meter.capacity, earlier[-1], (now, new[zone]))
        if step is None:
            return None
        used += step
    if used < limits.floors[meter.service]:
        return None
    cap = limits.caps[meter.service]
    months = _usual_months(meter.capacity, points, now, limits.months)
    usual = median(months) if len(months) >= limits.min_months else None
    if usual is not None and used > usual * limits.factor:
        return UnusualUse(OVER_USUAL, used, usual, len(months), cap)
    if used > cap:
        return UnusualUse(OVER_CAP, used, usual, len(months) if usual is not None else 0, cap)
    return None


def _step(
    capacity: Decimal, before: tuple[int, Decimal], after: tuple[int, Decimal]
) -> Decimal | None:
    """Use per month from one reading (month index, value) to a later one; None when the value
    went down other than by rolling over (from the top tenth of the dial to its bottom tenth)."""
    used = after[1] - before[1]
    if used < 0:
        if not (
            before[1] >= capacity * (1 - ROLLOVER_SHARE) and after[1] < capacity * ROLLOVER_SHARE
        ):
            return None
        used = capacity - before[1] + after[1]
    return used / max(after[0] - before[0], 1)


def _usual_months(
    capacity: Decimal, points: dict[str, list[tuple[int, Decimal]]], now: int, months: int
) -> list[Decimal]:
    """The use of each of the last `months` months before month `now` that every zone accounts
    for (readings apart by several months spread evenly over them; a step down that is not a
    rollover leaves its months out)."""
    first = now - months
    totals: dict[int, Decimal] = {}
    counts: dict[int, int] = {}
    for zone_points in points.values():
        for before, after in pairwise(zone_points):
            if after[0] < first:
                continue
            step = _step(capacity, before, after)
            if step is None:
                continue
            for index in range(max(before[0] + 1, first), after[0] + 1):
                totals[index] = totals.get(index, Decimal(0)) + step
                counts[index] = counts.get(index, 0) + 1
    return [totals[i] for i in sorted(totals) if counts[i] == len(points)]
