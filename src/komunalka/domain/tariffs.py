"""Tariffs: a supplier's price per unit of a service, per zone, from an effective date.

Tariffs are data, not code (each supplier and year differs). A tariff for the zone ``*`` prices
every zone the meter has no tariff of its own for; the one in force on a day is the latest whose
effective date is not after it. Money is Decimal, rounded to kopiykas only in the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from komunalka.domain.errors import DomainError
from komunalka.domain.meters import TOTAL
from komunalka.domain.services import Service

ANY_ZONE = "*"
KOPIYKA = Decimal("0.01")


class PriceBasis(StrEnum):
    """How a meter's use was priced, said to the resident for a meter of several zones."""

    ZONES = "zones"  # some zone at a price of its own (a two-zone meter's cheaper night)
    SINGLE = "single"  # every zone, or the total, at the one all-zones price


@dataclass(frozen=True, slots=True)
class MeterCost:
    amount: Decimal  # UAH, rounded to kopiykas
    basis: PriceBasis


@dataclass(frozen=True, slots=True)
class Tariff:
    supplier_id: int
    service: Service
    price: Decimal  # UAH per unit of the service
    effective_from: date
    zone: str = ANY_ZONE
    # Demo data carries published figures, but marked as such: not for billing.
    demo: bool = False

    def __post_init__(self) -> None:
        if not self.price.is_finite() or self.price < 0:
            raise DomainError.of("tariff.bad_price", price=self.price)


def price_on(tariffs: Iterable[Tariff], service: Service, zone: str, day: date) -> Decimal | None:
    """The price in force on `day` for one zone: its own tariff, else the all-zones one."""
    in_force = [t for t in tariffs if t.service is service and t.effective_from <= day]
    for wanted in (zone, ANY_ZONE):
        matching = [t for t in in_force if t.zone == wanted]
        if matching:
            return max(matching, key=lambda t: t.effective_from).price
    return None


def estimate_cost(
    tariffs: Iterable[Tariff], service: Service, used: Mapping[str, Decimal], day: date
) -> Decimal | None:
    """What the used amounts (by zone) cost at the prices of `day`; None when a zone has no
    price. A meter's total register is not billed on top of its zones."""
    known = list(tariffs)
    amount = Decimal(0)
    for zone, quantity in used.items():
        if zone == TOTAL:
            continue
        price = price_on(known, service, zone, day)
        if price is None:
            return None
        amount += quantity * price
    return amount.quantize(KOPIYKA, rounding=ROUND_HALF_UP)


def has_own_price(tariffs: Iterable[Tariff], service: Service, zone: str, day: date) -> bool:
    return any(t.service is service and t.zone == zone and t.effective_from <= day for t in tariffs)


def price_meter(
    tariffs: Iterable[Tariff],
    service: Service,
    zones: tuple[str, ...],
    used: Mapping[str, Decimal],
    day: date,
) -> MeterCost | None:
    """What a meter's use costs: its zones each at its price when the use of every zone is
    known; else (only the total known) the total at the all-zones price; None without a price.
    `zones` are the meter's registers other than the total."""
    known = list(tariffs)
    by_zone = {zone: used[zone] for zone in zones if zone in used}
    if zones and len(by_zone) == len(zones):
        amount = estimate_cost(known, service, by_zone, day)
        if amount is None:
            return None
        own = len(zones) > 1 and any(has_own_price(known, service, z, day) for z in zones)
        return MeterCost(amount, PriceBasis.ZONES if own else PriceBasis.SINGLE)
    if TOTAL in used:
        price = price_on(known, service, ANY_ZONE, day)
        if price is None:
            return None
        amount = (used[TOTAL] * price).quantize(KOPIYKA, rounding=ROUND_HALF_UP)
        return MeterCost(amount, PriceBasis.SINGLE)
    return None
