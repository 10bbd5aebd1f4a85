"""Early sending (ADR 0018): a window rule with ``early N`` takes a reading from local midnight N
days before a window opens, for that window's period, held until it opens."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from komunalka.application.system.demo_data import DEMO_EARLY_DAYS, SUPPLIERS
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.windows import MAX_EARLY_DAYS, WindowRule
from tests.fakes import kyiv

SECOND = timedelta(seconds=1)


def test_early_days_are_read_written_and_kept_apart_from_the_ranges() -> None:
    rule = WindowRule.parse("1..5@-1 early 3")
    assert rule.early_days == 3 and rule.ranges_text == "1..5@-1"
    assert str(rule) == "1..5@-1 early 3" and WindowRule.parse(str(rule)) == rule
    assert WindowRule.parse("5..-1").early_days == 0 and str(WindowRule.parse("5..-1")) == "5..-1"
    assert WindowRule.parse("5..-1, 10..12  EARLY  2").early_days == 2


@pytest.mark.parametrize("text", [f"5..-1 early {MAX_EARLY_DAYS + 1}", "5..-1 early 999"])
def test_too_many_early_days_are_refused(text: str) -> None:
    with pytest.raises(DomainError) as refused:
        WindowRule.parse(text)
    assert refused.value.code == "window.invalid_early"


@pytest.mark.parametrize("text", ["5..-1 early", "5..-1 early -1", "early 3", "5..-1 early x"])
def test_a_malformed_early_part_is_a_bad_rule(text: str) -> None:
    with pytest.raises(DomainError) as refused:
        WindowRule.parse(text)
    assert refused.value.code in ("window.invalid_rule", "window.invalid_day")


def test_the_span_runs_from_midnight_n_days_before_the_opening_to_the_opening() -> None:
    rule = WindowRule.parse("5..-1 early 3")  # December's window opens on the 5th
    assert rule.intake_at(kyiv(2026, 12, 1, 23, 59, 59)) is None  # the day before the span
    first = rule.intake_at(kyiv(2026, 12, 2, 0, 0, 0))  # its first moment
    assert first is not None and first.early
    assert first.window.period == BillingPeriod(2026, 12)  # the coming period, not November
    assert first.held_until == kyiv(2026, 12, 5, 0, 0, 0)
    last = rule.intake_at(kyiv(2026, 12, 5, 0, 0, 0) - SECOND)
    assert last is not None and last.early and last.window.period == BillingPeriod(2026, 12)
    opening = rule.intake_at(kyiv(2026, 12, 5, 0, 0, 0))  # the opening day: no longer held
    assert opening is not None and not opening.early
    assert opening.window.period == BillingPeriod(2026, 12)


def test_without_early_days_a_closed_window_takes_nothing() -> None:
    rule = WindowRule.parse("5..-1")
    assert rule.intake_at(kyiv(2026, 12, 4, 23, 59, 59)) is None
    assert rule.early_from(rule.next_window(kyiv(2026, 12, 4))) == kyiv(2026, 12, 5, 0, 0, 0)


def test_an_open_window_wins_over_the_next_ones_early_span() -> None:
    # 5..-1 early 7: December's early span starts on 28 November, inside November's window
    rule = WindowRule.parse("5..-1 early 7")
    during = rule.intake_at(kyiv(2026, 11, 29))
    assert during is not None and not during.early
    assert during.window.period == BillingPeriod(2026, 11)
    after = rule.intake_at(kyiv(2026, 12, 1))
    assert after is not None and after.early and after.window.period == BillingPeriod(2026, 12)


def test_across_the_years_end_a_reading_counts_for_januarys_period() -> None:
    rule = WindowRule.parse("1..5 early 3")
    assert rule.intake_at(kyiv(2026, 12, 28, 23, 59, 59)) is None
    held = rule.intake_at(kyiv(2026, 12, 29, 0, 0, 0))
    assert held is not None and held.window.period == BillingPeriod(2027, 1)
    assert held.held_until == kyiv(2027, 1, 1, 0, 0, 0)


def test_with_a_period_offset_the_held_reading_counts_for_the_windows_period() -> None:
    rule = WindowRule.parse("1..5@-1 early 3")  # gas: read "as at the 1st", for the month before
    held = rule.intake_at(kyiv(2026, 11, 29))
    assert held is not None and held.window.period == BillingPeriod(2026, 11)
    assert held.held_until == kyiv(2026, 12, 1, 0, 0, 0)


def test_the_span_crosses_the_spring_clock_change_at_local_midnights() -> None:
    # Kyiv moves to summer time on the last Sunday of March: 28 March 2027, 03:00 → 04:00
    rule = WindowRule.parse("1..5 early 5")
    starts = datetime(2027, 3, 26, 22, 0, tzinfo=UTC)  # 27 March 00:00 at +02:00
    opens = datetime(2027, 3, 31, 21, 0, tzinfo=UTC)  # 1 April 00:00 at +03:00
    assert rule.intake_at(starts - SECOND) is None
    held = rule.intake_at(starts)
    assert held is not None and held.held_until == opens
    assert held.window.period == BillingPeriod(2027, 4)
    assert rule.intake_at(opens - SECOND).held_until == opens  # type: ignore[union-attr]
    assert rule.intake_at(opens).held_until is None  # type: ignore[union-attr]


def test_the_span_crosses_the_autumn_clock_change_at_local_midnights() -> None:
    # Kyiv goes back to winter time on the last Sunday of October: 25 October 2026, 04:00 → 03:00
    rule = WindowRule.parse("1..5 early 7")
    starts = datetime(2026, 10, 24, 21, 0, tzinfo=UTC)  # 25 October 00:00 at +03:00
    opens = datetime(2026, 10, 31, 22, 0, tzinfo=UTC)  # 1 November 00:00 at +02:00
    assert rule.intake_at(starts - SECOND) is None
    held = rule.intake_at(starts)
    assert held is not None and held.held_until == opens
    assert held.window.period == BillingPeriod(2026, 11)


def _intakes(rules: list[WindowRule], instant: datetime) -> list[BillingPeriod] | None:
    """The period each rule takes a reading for at this instant; None when one takes none."""
    found = [rule.intake_at(instant) for rule in rules]
    return None if None in found else [i.window.period for i in found if i is not None]


def _days_when_all_take_readings(early: int) -> set[date]:
    rules = [
        WindowRule.parse(f"{WindowRule.parse(r).ranges_text} early {early}")
        for _, _, r, *_ in SUPPLIERS
    ]
    found = set()
    day = date(2026, 1, 1)
    while day < date(2028, 1, 1):
        if _intakes(rules, kyiv(day.year, day.month, day.day, 12)) is not None:
            found.add(day)
        day += timedelta(days=1)
    return found


def test_without_early_sending_the_demo_windows_never_all_overlap() -> None:
    assert _days_when_all_take_readings(0) == set()


def test_with_three_days_one_pass_on_a_months_last_three_days_covers_every_demo_supplier() -> None:
    # gas 1st-5th (for the month before), electricity from the day before the month's last to
    # the 3rd, heat and hot water from the 5th, cold water from the 10th
    assert DEMO_EARLY_DAYS == 3
    rules = [WindowRule.parse(r) for _, _, r, *_ in SUPPLIERS]
    assert all(rule.early_days == DEMO_EARLY_DAYS for rule in rules)
    days = _days_when_all_take_readings(DEMO_EARLY_DAYS)
    month_ends = set()
    for year in (2026, 2027):
        for month in range(1, 13):
            last = BillingPeriod(year, month).shift(1)
            end = date(last.year, last.month, 1) - timedelta(days=1)
            month_ends |= {end - timedelta(days=n) for n in range(3)}
    assert days == month_ends
    # and every one of them counts for the same month
    periods = _intakes(rules, kyiv(2026, 12, 30, 0, 0, 0))
    assert periods == [BillingPeriod(2026, 12)] * len(rules)


def test_at_the_months_start_three_days_leave_cold_water_out() -> None:
    rules = [WindowRule.parse(r) for _, _, r, *_ in SUPPLIERS]
    assert _intakes(rules, kyiv(2027, 1, 2)) is None  # cold water takes readings from the 7th
    assert date(2027, 1, 2) not in _days_when_all_take_readings(7)
    assert date(2027, 1, 2) in _days_when_all_take_readings(8)  # 10 - 2 days would be needed


def test_the_last_closed_window_is_the_one_that_closed_most_recently() -> None:
    kte, yasno = WindowRule.parse("5..-1"), WindowRule.parse("-2..3")
    just_after = kyiv(2026, 12, 1, 0, 0, 0)
    assert kte.last_closed(just_after).period == BillingPeriod(2026, 11)
    assert kte.last_closed(just_after - SECOND).period == BillingPeriod(2026, 10)
    assert yasno.last_closed(just_after).period == BillingPeriod(2026, 10)  # closed 3 November
    assert yasno.last_closed(kyiv(2026, 12, 4, 0, 0, 0)).period == BillingPeriod(2026, 11)
