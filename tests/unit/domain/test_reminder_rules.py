"""Reminder rules: defaults, the day each falls on, quiet hours and the spread."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from komunalka.domain.errors import DomainError
from komunalka.domain.reminders import (
    QuietHours,
    ReminderRule,
    RuleKind,
    SendSpan,
    default_rules,
    rules_with_defaults,
    window_rule_day,
)
from komunalka.domain.windows import WindowRule
from tests.fakes import kyiv


def _window(rule: str, when: datetime):  # type: ignore[no-untyped-def]
    window = WindowRule.parse(rule).window_at(when)
    assert window is not None
    return window


def test_every_supplier_starts_with_the_five_default_rules() -> None:
    rules = default_rules(7)
    assert [(r.kind, r.days) for r in rules] == [
        (RuleKind.OPENS, 0),
        (RuleKind.BEFORE_CLOSE, 3),
        (RuleKind.LAST_DAY, 0),
        (RuleKind.VERIFICATION_SOON, 30),
        (RuleKind.VERIFICATION_OVERDUE, 0),
    ]
    assert all(r.supplier_id == 7 and r.enabled and not r.paused for r in rules)


def test_a_stored_rule_replaces_its_default_and_the_rest_stay() -> None:
    stored = [ReminderRule(7, RuleKind.BEFORE_CLOSE, 5, paused=True, id=3)]
    rules = rules_with_defaults(7, stored)
    assert rules[1] == stored[0]
    assert rules[0].id is None and len(rules) == 5


def test_days_out_of_range_are_refused_with_a_code() -> None:
    with pytest.raises(DomainError) as caught:
        ReminderRule(1, RuleKind.BEFORE_CLOSE, 91)
    assert caught.value.code == "reminders.bad_days"


@pytest.mark.parametrize(
    ("kind", "days", "expected"),
    [
        (RuleKind.OPENS, 0, date(2026, 11, 5)),
        (RuleKind.BEFORE_CLOSE, 3, date(2026, 11, 27)),
        (RuleKind.LAST_DAY, 0, date(2026, 11, 30)),
        (RuleKind.BEFORE_CLOSE, 60, date(2026, 11, 5)),  # never before the window opens
    ],
)
def test_window_rules_fall_on_their_day_of_the_heat_window(
    kind: RuleKind, days: int, expected: date
) -> None:
    window = _window("5..-1", kyiv(2026, 11, 10))
    rule = ReminderRule(1, kind, days)
    assert window_rule_day(rule, window, WindowRule.default().zone) == expected


def test_a_window_across_the_month_end_has_its_last_day_in_the_next_month() -> None:
    window = _window("-2..3", kyiv(2026, 11, 30))
    rule = ReminderRule(1, RuleKind.LAST_DAY)
    assert window_rule_day(rule, window, WindowRule.default().zone) == date(2026, 12, 3)


def test_quiet_hours_allow_nine_to_eight_kyiv_time_across_daylight_saving() -> None:
    quiet = QuietHours()
    assert quiet.allows(kyiv(2026, 11, 10, 9, 0))
    assert not quiet.allows(kyiv(2026, 11, 10, 8, 59))
    assert not quiet.allows(kyiv(2026, 11, 10, 20, 0))
    assert quiet.allows(kyiv(2026, 7, 10, 19, 59))  # summer time: UTC+3
    assert quiet.next_open(kyiv(2026, 11, 10, 21, 0)) == kyiv(2026, 11, 11, 9, 0)
    assert quiet.next_open(kyiv(2026, 11, 10, 7, 0)) == kyiv(2026, 11, 10, 9, 0)


def test_the_span_is_what_is_left_of_the_day_and_none_after_it() -> None:
    quiet = QuietHours()
    day = date(2026, 11, 10)
    whole = quiet.span(day, kyiv(2026, 11, 10, 6, 0))
    assert whole == SendSpan(int(kyiv(2026, 11, 10, 9, 0).timestamp()), 11 * 3600)
    late = quiet.span(day, kyiv(2026, 11, 10, 19, 0))
    assert late is not None and late.seconds == 3600
    assert quiet.span(day, kyiv(2026, 11, 10, 20, 30)) is None


def test_the_spread_puts_residents_all_over_the_span_and_each_at_a_fixed_moment() -> None:
    span = SendSpan(1_000_000, 39_600)
    moments = [span.moment(key) for key in range(1, 10_001)]
    assert all(span.start <= m < span.start + span.seconds for m in moments)
    hours = {(m - span.start) // 3600 for m in moments}
    assert hours == set(range(11))  # every hour of the day gets some
    busiest = max(sum(1 for m in moments if (m - span.start) // 3600 == h) for h in hours)
    assert busiest < 10_000 / 11 * 1.2  # and none gets much more than its share
    assert span.moment(42) == span.moment(42)


def test_quiet_hours_are_read_from_text_and_refused_when_backwards() -> None:
    assert QuietHours.parse("08:30-21:00").opens == time(8, 30)
    with pytest.raises(DomainError):
        QuietHours.parse("21:00-08:00")
    with pytest.raises(DomainError):
        QuietHours.parse("nine to five")


def test_naive_instants_are_not_accepted_by_the_span() -> None:
    with pytest.raises(TypeError):
        QuietHours().span(date(2026, 11, 10), datetime(2026, 11, 10, 12))
    assert QuietHours().closing(datetime(2026, 11, 10, 12, tzinfo=UTC)) == kyiv(2026, 11, 10, 20)
