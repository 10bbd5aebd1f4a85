"""Billing periods: one calendar month, written YYYY-MM."""

import pytest

from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod


@pytest.mark.parametrize(
    ("text", "year", "month"),
    [("2024-05", 2024, 5), ("1950-01", 1950, 1), ("2999-12", 2999, 12), (" 2024-12 ", 2024, 12)],
)
def test_period_is_parsed_from_year_and_month(text: str, year: int, month: int):
    assert BillingPeriod.parse(text) == BillingPeriod(year, month)


@pytest.mark.parametrize(
    "text",
    [
        *("", "2024", "2024-5", "24-05", "2024/05", "2024-13", "2024-00", "1899-12", "May 2024"),
        *("9999-12", "0000-01", "1949-12", "3000-01", "２０２４-05", "2024-٠٥"),
    ],
)
def test_malformed_period_is_invalid(text: str):
    with pytest.raises(DomainError) as caught:
        BillingPeriod.parse(text)
    assert caught.value.code == "period.invalid"


def test_invalid_period_names_what_was_given():
    with pytest.raises(DomainError) as caught:
        BillingPeriod.parse("2024-5")
    assert caught.value.violations[0].params == {"period": "2024-5"}


@pytest.mark.parametrize(("year", "month"), [(2024, 0), (2024, 13), (1899, 12), (10000, 1)])
def test_period_out_of_range_cannot_be_built(year: int, month: int):
    with pytest.raises(DomainError) as caught:
        BillingPeriod(year, month)
    assert caught.value.code == "period.invalid"


@pytest.mark.parametrize("period", [BillingPeriod(2024, 5), BillingPeriod(1999, 1)])
def test_period_is_written_as_it_is_parsed(period: BillingPeriod):
    assert BillingPeriod.parse(str(period)) == period


def test_period_is_written_with_a_zero_padded_month():
    assert str(BillingPeriod(2024, 3)) == "2024-03"


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2024-05", 1, "2024-06"),
        ("2024-12", 1, "2025-01"),
        ("2024-01", -1, "2023-12"),
        ("2024-05", 0, "2024-05"),
        ("2024-05", 24, "2026-05"),
        ("2024-03", -15, "2022-12"),
    ],
)
def test_shift_moves_by_whole_months_across_years(start: str, months: int, expected: str):
    assert BillingPeriod.parse(start).shift(months) == BillingPeriod.parse(expected)


def test_shift_beyond_the_last_year_is_invalid():
    with pytest.raises(DomainError) as caught:
        BillingPeriod(9999, 12).shift(1)
    assert caught.value.code == "period.invalid"


def test_index_counts_months_since_year_zero():
    assert BillingPeriod(2024, 1).index == 2024 * 12


def test_index_grows_by_one_each_month():
    assert BillingPeriod(2025, 1).index - BillingPeriod(2024, 12).index == 1


@pytest.mark.parametrize("period", [BillingPeriod(2024, 1), BillingPeriod(2024, 12)])
def test_period_is_rebuilt_from_its_index(period: BillingPeriod):
    assert BillingPeriod.from_index(period.index) == period


def test_months_since_counts_across_years():
    assert BillingPeriod(2025, 2).months_since(BillingPeriod(2024, 11)) == 3


def test_periods_order_by_time():
    assert BillingPeriod(2023, 12) < BillingPeriod(2024, 1) < BillingPeriod(2024, 2)
