"""Tariffs: the price in force on a day, per zone, and what a month's use costs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from komunalka.domain.errors import DomainError
from komunalka.domain.services import Service
from komunalka.domain.tariffs import Tariff, estimate_cost, price_on

ELECTRICITY = [
    Tariff(1, Service.ELECTRICITY, Decimal("2.64"), date(2023, 6, 1)),
    Tariff(1, Service.ELECTRICITY, Decimal("4.32"), date(2024, 6, 1)),
    Tariff(1, Service.ELECTRICITY, Decimal("2.16"), date(2024, 6, 1), zone="night"),
]


def test_the_latest_tariff_not_after_the_day_is_in_force() -> None:
    assert price_on(ELECTRICITY, Service.ELECTRICITY, "T1", date(2024, 5, 31)) == Decimal("2.64")
    assert price_on(ELECTRICITY, Service.ELECTRICITY, "T1", date(2024, 6, 1)) == Decimal("4.32")


def test_a_zone_of_its_own_beats_the_all_zones_tariff() -> None:
    assert price_on(ELECTRICITY, Service.ELECTRICITY, "night", date(2025, 1, 1)) == Decimal("2.16")
    assert price_on(ELECTRICITY, Service.ELECTRICITY, "day", date(2025, 1, 1)) == Decimal("4.32")
    # before the night tariff existed, the night zone paid the one price
    assert price_on(ELECTRICITY, Service.ELECTRICITY, "night", date(2024, 1, 1)) == Decimal("2.64")


def test_no_tariff_means_no_price() -> None:
    assert price_on(ELECTRICITY, Service.GAS, "T1", date(2025, 1, 1)) is None
    assert price_on(ELECTRICITY, Service.ELECTRICITY, "T1", date(2020, 1, 1)) is None


def test_a_two_zone_month_costs_each_zone_at_its_price_and_not_the_total() -> None:
    used = {"day": Decimal(150), "night": Decimal(100), "total": Decimal(250)}
    cost = estimate_cost(ELECTRICITY, Service.ELECTRICITY, used, date(2025, 1, 1))
    assert cost == Decimal("864.00")  # 150 x 4.32 + 100 x 2.16


def test_costs_are_rounded_to_kopiykas_half_up() -> None:
    gas = [Tariff(2, Service.GAS, Decimal("7.96"), date(2024, 6, 1))]
    assert estimate_cost(gas, Service.GAS, {"T1": Decimal("12.345")}, date(2025, 1, 1)) == Decimal(
        "98.27"
    )


def test_a_zone_without_a_price_leaves_the_cost_unknown() -> None:
    assert estimate_cost(ELECTRICITY, Service.GAS, {"T1": Decimal(1)}, date(2025, 1, 1)) is None


@pytest.mark.parametrize("price", [Decimal(-1), Decimal("NaN"), Decimal("Infinity")])
def test_a_tariff_cannot_have_a_negative_or_unreal_price(price: Decimal) -> None:
    with pytest.raises(DomainError) as exc:
        Tariff(1, Service.GAS, price, date(2024, 1, 1))
    assert exc.value.code == "tariff.bad_price"
