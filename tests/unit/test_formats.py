"""Numbers, months and dates as each language writes them, for people."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from komunalka.formats import day, month, number, reading, signed
from komunalka.i18n import translate
from komunalka.money import format_money

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("value", "uk", "en"),
    [
        (Decimal("2335.5"), f"2{NNBSP}335,5", "2,335.5"),
        (Decimal("0"), "0", "0"),
        (Decimal("-0.000"), "0", "0"),
        (Decimal("-1234.5"), f"-1{NNBSP}234,5", "-1,234.5"),
        (Decimal("999"), "999", "999"),
        (Decimal("1000"), f"1{NNBSP}000", "1,000"),
        (Decimal("1E+3"), f"1{NNBSP}000", "1,000"),
        (
            Decimal("123456789012.125"),
            f"123{NNBSP}456{NNBSP}789{NNBSP}012,125",
            "123,456,789,012.125",
        ),
        (Decimal("0.001"), "0,001", "0.001"),
        (1234567, f"1{NNBSP}234{NNBSP}567", "1,234,567"),
    ],
)
def test_a_number_is_written_as_each_language_writes_it(value: Decimal, uk: str, en: str) -> None:
    assert number(value, "uk") == uk
    assert number(value, "en") == en


def test_fixed_places_round_and_keep_their_zeros() -> None:
    assert number(Decimal("3802.8224"), "uk", places=3) == f"3{NNBSP}802,822"
    assert number(Decimal("12.5"), "en", places=2) == "12.50"
    assert number(Decimal("-0.001"), "uk", places=2) == "0,00"
    assert format_money(Decimal("1234.5"), "uk") == f"1{NNBSP}234,50 грн"
    assert format_money(Decimal("1234.5"), "en") == "1,234.50 UAH"


def test_a_meters_value_drops_the_zeros_it_does_not_need() -> None:
    assert reading(Decimal("2335.500"), 3, "uk") == f"2{NNBSP}335,5"
    assert reading(Decimal("2335.500"), 3, "en") == "2,335.5"
    assert reading(Decimal("115.000"), 1, "uk") == "115"
    assert reading(Decimal("0.000"), 3, "en") == "0"
    assert reading(Decimal("99999999.999"), 3, "uk") == f"99{NNBSP}999{NNBSP}999,999"
    assert signed(Decimal("2.500"), 3, "uk") == "+2,5"
    assert signed(Decimal("-2.5"), 3, "en") == "-2.5"


def test_an_unknown_language_writes_as_ukrainian() -> None:
    assert number(Decimal("1234.5"), "de") == f"1{NNBSP}234,5"
    assert month("2026-11", "de") == "листопад 2026"


def test_a_period_is_its_month_standing_alone_and_its_year() -> None:
    assert month("2026-11", "uk") == "листопад 2026"  # not "листопада"
    assert month("2026-01", "en") == "January 2026"
    assert month("2026-13", "uk") == "2026-13"  # not a period: as it is
    assert month("total", "en") == "total"


def test_a_date_is_its_day_month_and_year() -> None:
    assert day(date(2026, 12, 5), "uk") == "5 грудня 2026"
    assert day("2026-12-05", "en") == "5 December 2026"
    assert day("soon", "uk") == "soon"


def test_warnings_write_their_numbers_and_periods_in_the_language() -> None:
    params = {"previous": "2335.500", "previous_period": "2026-10"}
    assert f"2{NNBSP}335,5 за жовтень 2026" in translate("reading.below_previous", "uk", params)
    jump = {"used": "1234.500", "usual": "2.6", "previous": "1", "previous_period": "2026-10"}
    said = translate("reading.jump", "en", jump)
    assert "1,234.5" in said and "≈2.6" in said
    assert "≈2,6" in translate("reading.jump", "uk", jump)
    closed = translate("window.closed", "uk", {"opens": "2026-12-05", "period": "2026-12"})
    assert "5 грудня 2026" in closed and "грудень 2026" in closed
    typed = translate("reading.not_a_number", "uk", {"value": "-12.5"})
    assert "-12.5" in typed  # what the person typed is said back as typed
