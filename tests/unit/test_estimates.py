"""The period's estimated amount per account, a meter's price basis, verification notices and
money in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from komunalka.application.readings.estimate_bills import bill_estimates, by_period, period_use
from komunalka.application.readings.list_my_meters import MeterOverview, overview
from komunalka.domain.meters import Account, Meter, Supplier, Verification
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading
from komunalka.domain.reminders import DEFAULT_DAYS, VERIFICATION_SOON_DAYS, RuleKind
from komunalka.domain.services import Channel, Service
from komunalka.domain.tariffs import PriceBasis, Tariff, price_meter
from komunalka.domain.windows import WindowRule
from komunalka.money import format_money
from tests.fakes import kyiv

NOW = kyiv(2026, 11, 20)
THIS, LAST = BillingPeriod(2026, 11), BillingPeriod(2026, 10)
SINCE = date(2024, 1, 1)
HEAT = Supplier(1, "kte", "Київтеплоенерго", WindowRule.parse("5..-1"))
WATER = Supplier(2, "kvk", "Київводоканал", WindowRule.parse("5..-1"))
POWER = Supplier(3, "yasno", "YASNO", WindowRule.parse("5..-1"))


def reading(meter: Meter, register: str, period: BillingPeriod, value: str) -> Reading:
    at = datetime(period.year, period.month, 10, tzinfo=UTC)
    return Reading(meter.id, register, period, Decimal(value), at, Channel.WEB, f"R{meter.id}")


def meter_of(
    supplier: Supplier,
    meter_id: int,
    service: Service,
    values: dict[str, tuple[str, str]],
    account_id: int | None = None,
    digits: int = 6,
) -> MeterOverview:
    """A meter with a reading last period and this one, per register: (last, this)."""
    account = Account(account_id or supplier.id * 10, supplier.id, f"00{supplier.id}00", "Х", "")
    decimals = 0 if service is Service.ELECTRICITY else 3
    meter = Meter(meter_id, account.id, service, f"S{meter_id}", tuple(values), digits, decimals)
    history = {
        reg: [reading(meter, reg, LAST, before), reading(meter, reg, THIS, now)]
        for reg, (before, now) in values.items()
    }
    return overview(meter, account, supplier, history, NOW)


def tariff(supplier: Supplier, service: Service, price: str, zone: str = "*") -> Tariff:
    return Tariff(supplier.id, service, Decimal(price), SINCE, zone, demo=True)


def test_a_zoned_meter_is_priced_per_zone_when_a_zone_has_its_own_price() -> None:
    prices = [
        tariff(POWER, Service.ELECTRICITY, "4.32"),
        tariff(POWER, Service.ELECTRICITY, "2.16", "night"),
    ]
    used = {"day": Decimal(100), "night": Decimal(50), "total": Decimal(150)}
    cost = price_meter(prices, Service.ELECTRICITY, ("day", "night"), used, date(2026, 11, 1))
    assert cost is not None
    assert cost.amount == Decimal("540.00") and cost.basis is PriceBasis.ZONES


def test_a_zoned_meter_without_zone_prices_is_its_total_at_the_single_price() -> None:
    prices = [tariff(POWER, Service.ELECTRICITY, "4.32")]
    used = {"day": Decimal(100), "night": Decimal(50), "total": Decimal(150)}
    cost = price_meter(prices, Service.ELECTRICITY, ("day", "night"), used, date(2026, 11, 1))
    assert cost is not None
    assert cost.amount == Decimal("648.00") and cost.basis is PriceBasis.SINGLE
    only_total = {"total": Decimal(150)}
    cost = price_meter(prices, Service.ELECTRICITY, ("day", "night"), only_total, SINCE)
    assert cost is not None and cost.amount == Decimal("648.00")


def test_a_meter_without_a_price_is_not_priced() -> None:
    prices = [tariff(POWER, Service.ELECTRICITY, "4.32")]
    assert price_meter(prices, Service.GAS, ("T1",), {"T1": Decimal(5)}, SINCE) is None
    later = Tariff(POWER.id, Service.GAS, Decimal(8), date(2027, 1, 1))
    assert price_meter([later], Service.GAS, ("T1",), {"T1": Decimal(5)}, SINCE) is None


def test_the_estimate_sums_each_account_and_leaves_out_a_meter_without_tariff() -> None:
    hot = meter_of(HEAT, 1, Service.HOT_WATER, {"T1": ("100.000", "102.500")})
    heat = meter_of(HEAT, 2, Service.HEAT, {"T1": ("10.000", "11.200")})
    cold = meter_of(WATER, 3, Service.COLD_WATER, {"T1": ("50.000", "54.000")})
    cold2 = meter_of(WATER, 4, Service.COLD_WATER, {"T1": ("20.000", "21.000")})
    power = meter_of(
        POWER, 5, Service.ELECTRICITY, {"day": ("1000", "1100"), "night": ("500", "550")}
    )
    tariffs = {
        HEAT.id: [tariff(HEAT, Service.HOT_WATER, "100")],  # no heat tariff
        WATER.id: [tariff(WATER, Service.COLD_WATER, "30")],
        POWER.id: [
            tariff(POWER, Service.ELECTRICITY, "4.32"),
            tariff(POWER, Service.ELECTRICITY, "2.16", "night"),
        ],
    }
    heat_account, water_account, power_account = bill_estimates(
        [hot, heat, cold, cold2, power], tariffs
    )
    assert heat_account.supplier == HEAT and heat_account.period == THIS
    assert heat_account.total == Decimal("250.00")
    assert [m.overview.meter.id for m in heat_account.unpriced] == [2]
    assert heat_account.unpriced[0].used == {"T1": Decimal("1.200")}
    assert water_account.total == Decimal("150.00")  # 4 m3 + 1 m3 at 30
    assert not water_account.unpriced
    assert power_account.total == Decimal("540.00")
    (zoned,) = power_account.priced
    assert zoned.cost is not None and zoned.cost.basis is PriceBasis.ZONES
    assert all(a.demo for a in (heat_account, water_account, power_account))


def test_estimates_of_different_periods_are_told_apart_oldest_first() -> None:
    hot = meter_of(HEAT, 1, Service.HOT_WATER, {"T1": ("100.000", "102.500")})
    power = meter_of(POWER, 5, Service.ELECTRICITY, {"T1": ("1000", "1100")})
    heat_account, power_account = bill_estimates([hot, power], {})
    later = replace(heat_account, period=THIS.shift(1))
    assert by_period([later, power_account]) == [
        (THIS, [power_account]),
        (THIS.shift(1), [later]),
    ]
    assert not heat_account.priced and heat_account.total == 0 and not heat_account.demo


def test_a_meter_not_yet_read_this_period_has_no_estimate() -> None:
    account = Account(10, HEAT.id, "0010", "Х", "")
    meter = Meter(1, account.id, Service.HOT_WATER, "S1", ("T1",), 5, 3)
    history = {"T1": [reading(meter, "T1", LAST, "100")]}
    waiting = overview(meter, account, HEAT, history, NOW)
    assert period_use(waiting) == {}
    assert bill_estimates([waiting], {HEAT.id: [tariff(HEAT, Service.HOT_WATER, "1")]}) == []


def test_a_dial_that_rolled_over_counts_on_from_zero() -> None:
    rolled = meter_of(HEAT, 1, Service.HOT_WATER, {"T1": ("99998.000", "2.000")}, digits=5)
    assert period_use(rolled) == {"T1": Decimal("4.000")}


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (-1, Verification.OVERDUE),
        (0, Verification.SOON),
        (29, Verification.SOON),
        (30, Verification.SOON),
        (31, None),
    ],
)
def test_verification_is_announced_from_the_reminders_days_before(
    days: int, expected: Verification | None
) -> None:
    today = date(2026, 11, 20)
    meter = Meter(1, 1, Service.COLD_WATER, "S1", ("T1",), 5, 3, today + timedelta(days=days))
    assert meter.verification(today, VERIFICATION_SOON_DAYS) is expected
    assert VERIFICATION_SOON_DAYS == DEFAULT_DAYS[RuleKind.VERIFICATION_SOON] == 30


def test_the_overview_carries_the_verification_and_an_overdue_meter_is_blocked() -> None:
    account = Account(10, WATER.id, "0010", "Х", "")
    soon = Meter(1, 10, Service.COLD_WATER, "S1", ("T1",), 5, 3, date(2026, 12, 19))
    later = Meter(2, 10, Service.COLD_WATER, "S2", ("T1",), 5, 3, date(2026, 12, 21))
    past = Meter(3, 10, Service.COLD_WATER, "S3", ("T1",), 5, 3, date(2026, 11, 19))
    assert overview(soon, account, WATER, {}, NOW).verification is Verification.SOON
    assert overview(later, account, WATER, {}, NOW).verification is None
    overdue = overview(past, account, WATER, {}, NOW)
    assert overdue.verification is Verification.OVERDUE
    assert overdue.blocked_code == "meter.verification_overdue"


@pytest.mark.parametrize(
    ("amount", "language", "words"),
    [
        ("1234.56", "uk", "1\u202f234,56 грн"),
        ("1234.56", "en", "1,234.56 UAH"),
        ("0.005", "uk", "0,01 грн"),
        ("1000000", "uk", "1\u202f000\u202f000,00 грн"),
        ("7", "xx", "7,00 грн"),
    ],
)
def test_money_is_written_as_the_language_writes_it(amount: str, language: str, words: str) -> None:
    assert format_money(Decimal(amount), language) == words
