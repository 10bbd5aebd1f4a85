"""Submission windows: when each supplier takes readings, in Kyiv time, and for which period."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.windows import DayRange, OpenWindow, WindowRule, current_or_next

KYIV = ZoneInfo("Europe/Kyiv")
TICK = timedelta(microseconds=1)

DEFAULT = WindowRule.default()  # Kyivteploenergo: 5th → last day
VODOKANAL = WindowRule.parse("10..-1")
YASNO = WindowRule.parse("-2..3")
GAS = WindowRule.parse("1..5@-1")
CROSSING = WindowRule.parse("28..5")


def kyiv(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=KYIV)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _open(rule: WindowRule, instant: datetime) -> OpenWindow:
    window = rule.window_at(instant)
    assert window is not None, f"{rule} should be open at {instant.isoformat()}"
    return window


def _code_of_parse(text: str, timezone: str = "Europe/Kyiv") -> str:
    with pytest.raises(DomainError) as caught:
        WindowRule.parse(text, timezone)
    return caught.value.code


# Kyivteploenergo: 5..-1


def test_default_rule_is_fifth_to_last_day_in_kyiv():
    assert (str(DEFAULT), DEFAULT.timezone) == ("5..-1", "Europe/Kyiv")


def test_default_window_opens_on_the_fifth_at_kyiv_midnight():
    assert _open(DEFAULT, kyiv(2024, 5, 5)).opens_at == utc(2024, 5, 4, 21)


def test_default_window_is_closed_the_instant_before_the_fifth():
    assert DEFAULT.window_at(kyiv(2024, 5, 5) - TICK) is None


def test_default_window_is_open_on_the_last_instant_of_the_month():
    assert DEFAULT.window_at(kyiv(2024, 6, 1) - TICK) is not None


def test_default_window_is_closed_at_the_first_instant_of_the_next_month():
    assert DEFAULT.window_at(kyiv(2024, 6, 1)) is None


def test_default_window_closes_at_the_next_months_kyiv_midnight():
    assert _open(DEFAULT, kyiv(2024, 5, 20)).closes_at == utc(2024, 5, 31, 21)


def test_default_window_takes_readings_for_the_month_it_is_open_in():
    assert _open(DEFAULT, kyiv(2024, 5, 20)).period == BillingPeriod(2024, 5)


def test_window_is_open_from_kyiv_midnight_even_when_asked_in_utc():
    # 22:30 UTC on the 4th of January is already 00:30 on the 5th in Kyiv (UTC+2).
    assert DEFAULT.window_at(utc(2024, 1, 4, 22, 30)) is not None


# Kyivvodokanal: 10..-1 (its databases are closed 1st–9th)


def test_vodokanal_window_is_closed_on_the_ninth():
    assert VODOKANAL.window_at(kyiv(2024, 5, 9, 23, 59)) is None


def test_vodokanal_window_opens_on_the_tenth_at_kyiv_midnight():
    assert _open(VODOKANAL, kyiv(2024, 5, 10)).opens_at == utc(2024, 5, 9, 21)


def test_vodokanal_window_closes_after_the_last_day():
    assert _open(VODOKANAL, kyiv(2024, 5, 31, 23, 59)).closes_at == utc(2024, 5, 31, 21)


def test_vodokanal_window_takes_readings_for_its_own_month():
    assert _open(VODOKANAL, kyiv(2024, 5, 15)).period == BillingPeriod(2024, 5)


# YASNO: -2..3, from two days before the month's end to the 3rd of the next month


def test_yasno_window_opens_on_the_29th_of_a_30_day_month():
    assert _open(YASNO, kyiv(2024, 4, 29)).opens_at == utc(2024, 4, 28, 21)


def test_yasno_window_is_closed_on_the_28th_of_a_30_day_month():
    assert YASNO.window_at(kyiv(2024, 4, 29) - TICK) is None


def test_yasno_window_is_still_open_at_the_end_of_the_third_of_the_next_month():
    assert YASNO.window_at(kyiv(2024, 5, 4) - TICK) is not None


def test_yasno_window_closes_after_the_third_of_the_next_month():
    assert _open(YASNO, kyiv(2024, 4, 29)).closes_at == utc(2024, 5, 3, 21)


def test_yasno_window_is_closed_on_the_fourth():
    assert YASNO.window_at(kyiv(2024, 5, 4)) is None


def test_yasno_reading_sent_in_the_next_month_belongs_to_the_month_it_opened_in():
    assert _open(YASNO, kyiv(2024, 5, 2)).period == BillingPeriod(2024, 4)


@pytest.mark.parametrize(
    ("year", "month", "opening_day"),
    [(2024, 1, 30), (2024, 4, 29), (2024, 2, 28), (2023, 2, 27)],
)
def test_negative_day_counts_from_the_months_end(year: int, month: int, opening_day: int):
    window = _open(YASNO, kyiv(year, month, opening_day))
    assert window.opens_at.astimezone(KYIV).date() == date(year, month, opening_day)


# Gas: 1..5@-1, the reading as at the 1st, sent 1st → 5th, for the month before


def test_gas_reading_belongs_to_the_previous_month():
    assert _open(GAS, kyiv(2024, 2, 3)).period == BillingPeriod(2024, 1)


def test_gas_reading_sent_in_january_belongs_to_last_december():
    assert _open(GAS, kyiv(2024, 1, 1)).period == BillingPeriod(2023, 12)


def test_gas_window_closes_after_the_fifth():
    assert GAS.window_at(kyiv(2024, 2, 6)) is None


def test_gas_window_for_a_period_opens_in_the_month_after_it():
    assert GAS.window_for(BillingPeriod(2024, 1)).opens_at == utc(2024, 1, 31, 22)


def test_rule_with_offset_reads_back_with_its_sign():
    assert str(GAS) == "1..5@-1"


# February


@pytest.mark.parametrize(
    ("year", "last_day"), [(2023, 28), (2024, 29)], ids=["common-year", "leap-year"]
)
def test_last_day_of_february_is_still_inside_the_default_window(year: int, last_day: int):
    assert DEFAULT.window_at(kyiv(year, 2, last_day, 23, 59)) is not None


@pytest.mark.parametrize("year", [2023, 2024], ids=["common-year", "leap-year"])
def test_default_window_in_february_closes_on_the_first_of_march(year: int):
    assert _open(DEFAULT, kyiv(year, 2, 10)).closes_at == kyiv(year, 3, 1)


@pytest.mark.parametrize(
    ("rule", "expected_last_day"),
    [("-1..-1", 28), ("-15..-15", 14), ("31..31", 28)],
)
def test_days_are_fitted_to_a_28_day_february(rule: str, expected_last_day: int):
    window = _open(WindowRule.parse(rule), kyiv(2023, 2, expected_last_day, 12))
    assert window.opens_at == kyiv(2023, 2, expected_last_day)


# Ranges crossing the month's end: 28..5


def test_crossing_window_opens_on_the_28th():
    assert _open(CROSSING, kyiv(2024, 2, 28)).opens_at == utc(2024, 2, 27, 22)


def test_crossing_window_is_open_early_in_the_next_month_for_the_month_it_opened_in():
    assert _open(CROSSING, kyiv(2024, 3, 3)).period == BillingPeriod(2024, 2)


def test_crossing_window_closes_after_the_fifth_of_the_next_month():
    assert _open(CROSSING, kyiv(2024, 2, 28)).closes_at == kyiv(2024, 3, 6)


def test_crossing_window_is_closed_between_the_sixth_and_the_27th():
    assert CROSSING.window_at(kyiv(2024, 3, 15)) is None


def test_crossing_window_spans_the_new_year():
    assert _open(CROSSING, kyiv(2025, 1, 2)).period == BillingPeriod(2024, 12)


def test_crossing_window_closes_on_the_sixth_of_january():
    assert _open(CROSSING, kyiv(2024, 12, 31)).closes_at == kyiv(2025, 1, 6)


# Closed windows: when the next one opens


def test_next_default_window_after_the_first_opens_on_the_fifth():
    assert DEFAULT.next_window(kyiv(2024, 1, 2)).opens_at == utc(2024, 1, 4, 22)


def test_next_default_window_after_the_first_takes_that_months_readings():
    assert DEFAULT.next_window(kyiv(2024, 1, 2)).period == BillingPeriod(2024, 1)


def test_next_yasno_window_opens_two_days_before_the_months_end():
    assert YASNO.next_window(kyiv(2024, 4, 10)).opens_at == kyiv(2024, 4, 29)


def test_next_gas_window_opens_on_the_first_of_the_next_month():
    assert GAS.next_window(kyiv(2024, 1, 10)).opens_at == kyiv(2024, 2, 1)


def test_next_gas_window_takes_the_readings_of_the_month_before_it():
    assert GAS.next_window(kyiv(2024, 1, 10)).period == BillingPeriod(2024, 1)


def test_next_window_while_one_is_open_is_the_following_one():
    assert DEFAULT.next_window(kyiv(2024, 5, 20)).opens_at == kyiv(2024, 6, 5)


def test_next_window_after_the_new_year_opens_on_the_tenth_of_january():
    assert VODOKANAL.next_window(kyiv(2025, 1, 1)).opens_at == kyiv(2025, 1, 10)


# Daylight saving in Europe/Kyiv: +02:00 in winter, +03:00 from the last Sunday of March
# to the last Sunday of October (03:00 → 04:00 and 04:00 → 03:00 local).


@pytest.mark.parametrize(
    ("rule", "inside", "opens_utc", "closes_utc"),
    [
        # Opens in winter time, closes in summer time (2024-03-31 is the last Sunday of March).
        ("5..-1", kyiv(2024, 3, 20), utc(2024, 3, 4, 22), utc(2024, 3, 31, 21)),
        # Opens on the very day the clocks go forward: midnight is still +02:00.
        ("-1..3", kyiv(2024, 3, 31, 12), utc(2024, 3, 30, 22), utc(2024, 4, 3, 21)),
        ("-2..3", kyiv(2025, 3, 30, 12), utc(2025, 3, 29, 22), utc(2025, 4, 3, 21)),
        # Opens in summer time, closes in winter time (2024-10-27 is the last Sunday of October).
        ("5..-1", kyiv(2024, 10, 20), utc(2024, 10, 4, 21), utc(2024, 10, 31, 22)),
        # Opens on the day the clocks go back: midnight is still +03:00.
        ("-5..3", kyiv(2024, 10, 27, 12), utc(2024, 10, 26, 21), utc(2024, 11, 3, 22)),
        ("26..5", kyiv(2025, 10, 26, 12), utc(2025, 10, 25, 21), utc(2025, 11, 5, 22)),
    ],
    ids=[
        "march-winter-to-summer",
        "march-opens-on-dst-day-2024",
        "march-yasno-opens-on-dst-day-2025",
        "october-summer-to-winter",
        "october-opens-on-dst-day-2024",
        "october-opens-on-dst-day-2025",
    ],
)
def test_window_opens_and_closes_at_kyiv_midnight_across_daylight_saving(
    rule: str, inside: datetime, opens_utc: datetime, closes_utc: datetime
):
    window = _open(WindowRule.parse(rule), inside)
    assert (window.opens_at, window.closes_at) == (opens_utc, closes_utc)


def test_march_window_lasts_an_hour_less_than_whole_days():
    window = _open(DEFAULT, kyiv(2024, 3, 20))
    assert window.closes_at - window.opens_at == timedelta(days=27, hours=-1)


def test_october_window_lasts_an_hour_more_than_whole_days():
    window = _open(DEFAULT, kyiv(2024, 10, 20))
    assert window.closes_at - window.opens_at == timedelta(days=27, hours=1)


def test_window_is_open_on_the_last_summer_time_minute_of_october():
    assert DEFAULT.window_at(utc(2024, 10, 31, 21, 59)) is not None


def test_window_is_closed_at_kyiv_midnight_of_november_in_winter_time():
    assert DEFAULT.window_at(utc(2024, 10, 31, 22)) is None


def test_window_times_are_utc():
    window = _open(DEFAULT, kyiv(2024, 5, 20))
    assert (window.opens_at.tzinfo, window.closes_at.tzinfo) == (UTC, UTC)


# Naive datetimes are a bug


def test_window_at_a_naive_datetime_raises():
    with pytest.raises(ValueError, match="naive"):
        DEFAULT.window_at(datetime(2024, 5, 20, 12))


def test_next_window_after_a_naive_datetime_raises():
    with pytest.raises(ValueError, match="naive"):
        DEFAULT.next_window(datetime(2024, 5, 20, 12))


# Other questions a rule answers


def test_window_for_a_period_is_the_one_that_takes_its_readings():
    assert YASNO.window_for(BillingPeriod(2024, 4)).opens_at == kyiv(2024, 4, 29)


def test_local_today_is_the_kyiv_date():
    assert DEFAULT.local_today(utc(2024, 5, 31, 21, 30)) == date(2024, 6, 1)


def test_rule_in_another_timezone_opens_at_that_zones_midnight():
    rule = WindowRule.parse("5..-1", "Europe/Warsaw")
    assert _open(rule, utc(2024, 1, 10)).opens_at == utc(2024, 1, 4, 23)


def test_several_ranges_are_read_from_one_rule():
    assert str(WindowRule.parse(" 28 .. 5 , 10..12 @ +1")) == "28..5,10..12@+1"


def test_second_range_of_a_rule_is_open_in_its_own_days():
    assert _open(WindowRule.parse("28..5,10..12@+1"), kyiv(2024, 5, 11)).period == BillingPeriod(
        2024, 6
    )


def test_open_window_includes_its_opening_and_excludes_its_closing():
    window = OpenWindow(BillingPeriod(2024, 5), utc(2024, 5, 4, 21), utc(2024, 5, 31, 21))
    assert (window.contains(window.opens_at), window.contains(window.closes_at)) == (True, False)


# Invalid rules


@pytest.mark.parametrize("text", ["0..5", "5..0", "32..5", "5..32", "-16..3"])
def test_rule_with_an_impossible_day_is_invalid(text: str):
    assert _code_of_parse(text) == "window.invalid_day"


@pytest.mark.parametrize(
    "text", ["", "five..last", "5-1", "5..", "..5", "5..-1,", "5...-1", "5..-1@", "5..-1@x"]
)
def test_rule_that_is_not_day_range_text_is_invalid(text: str):
    assert _code_of_parse(text) == "window.invalid_rule"


@pytest.mark.parametrize("text", ["1..5@-2", "1..5@+2"])
def test_rule_with_an_offset_beyond_one_month_is_invalid(text: str):
    assert _code_of_parse(text) == "window.invalid_offset"


@pytest.mark.parametrize(
    "timezone", ["Mars/Olympus", "", "Europe", "../etc/passwd", "/etc/localtime"]
)
def test_rule_in_an_unknown_timezone_is_invalid(timezone: str):
    assert _code_of_parse("5..-1", timezone) == "window.invalid_timezone"


def test_rule_with_no_ranges_is_empty():
    with pytest.raises(DomainError) as caught:
        WindowRule(())
    assert caught.value.code == "window.empty"


def test_day_range_refuses_day_zero():
    with pytest.raises(DomainError) as caught:
        DayRange(0, 5)
    assert caught.value.code == "window.invalid_day"


def test_invalid_day_names_the_day():
    with pytest.raises(DomainError) as caught:
        DayRange(5, 40)
    assert caught.value.violations[0].params == {"day": "40"}


def test_the_current_or_next_window_is_the_open_one_else_the_next() -> None:
    rule = YASNO  # the last two days of a month and the first three of the next
    kyiv = ZoneInfo("Europe/Kyiv")
    inside = datetime(2026, 11, 30, 12, tzinfo=kyiv)
    between = datetime(2026, 11, 10, 12, tzinfo=kyiv)
    assert current_or_next(rule, inside) == rule.window_at(inside)
    assert current_or_next(rule, between) == rule.next_window(between)
    assert current_or_next(rule, between).opens_at > between
