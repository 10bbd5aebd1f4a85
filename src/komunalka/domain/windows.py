"""Submission windows: when a supplier takes readings, and which billing period they belong to.

A window rule is configuration, not code: each supplier (and city) differs. A day is a day of the
month (1..31, clamped to the month's length) or, when negative, counted from the month's end
(-1 is the last day, -2 the day before it). A range whose end falls before its start crosses the
month's end: 28 → 5 runs from the 28th to the 5th of the next month. The billing period is the
month the window opens in, shifted by `period_offset` (gas read "as at the 1st" and sent 1st → 5th
belongs to the month before: offset -1). Times are the supplier's wall clock (Europe/Kyiv by
default), daylight-saving changes included; instants are compared in UTC.

A rule may also accept readings early: ``5..-1 early 3`` takes a reading up to three days (from
local midnight) before a window opens; it counts for that window's period and is held, not
shown to the supplier, until the window opens (ADR 0018).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod

DEFAULT_TIMEZONE = "Europe/Kyiv"
# At most this many days of early sending: well short of a month, so an early span never
# reaches back past the window before.
MAX_EARLY_DAYS = 10


def _resolve_day(year: int, month: int, day: int) -> date:
    last = calendar.monthrange(year, month)[1]
    if day > 0:
        return date(year, month, min(day, last))
    return date(year, month, last + 1 + day)


@dataclass(frozen=True, slots=True)
class DayRange:
    start_day: int
    end_day: int
    period_offset: int = 0

    def __post_init__(self) -> None:
        for day in (self.start_day, self.end_day):
            if day == 0 or not -15 <= day <= 31:
                raise DomainError.of("window.invalid_day", day=day)
        if not -1 <= self.period_offset <= 1:
            raise DomainError.of("window.invalid_offset", offset=self.period_offset)

    def opening_in(self, year: int, month: int) -> tuple[date, date]:
        """The first and the last day (inclusive) of the window opening in this month."""
        first = _resolve_day(year, month, self.start_day)
        last = _resolve_day(year, month, self.end_day)
        if last < first:
            nxt = BillingPeriod(year, month).shift(1)
            last = _resolve_day(nxt.year, nxt.month, self.end_day)
        return first, last

    def __str__(self) -> str:
        text = f"{self.start_day}..{self.end_day}"
        return text if self.period_offset == 0 else f"{text}@{self.period_offset:+d}"


@dataclass(frozen=True, slots=True)
class OpenWindow:
    """One opening of a window: from `opens_at` (inclusive) to `closes_at` (exclusive), in UTC."""

    period: BillingPeriod
    opens_at: datetime
    closes_at: datetime

    def contains(self, instant: datetime) -> bool:
        return self.opens_at <= instant < self.closes_at


@dataclass(frozen=True, slots=True)
class Intake:
    """Where a reading sent at some instant goes: the window whose period it counts for, and,
    when it came before that window opened (sent early), the moment it is passed on."""

    window: OpenWindow
    held_until: datetime | None = None

    @property
    def early(self) -> bool:
        return self.held_until is not None


_RULE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*(?:@\s*([+-]?\d+))?\s*$")
_EARLY = re.compile(r"^(.*?)\s+early\s+(\d{1,3})\s*$", re.ASCII | re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class WindowRule:
    ranges: tuple[DayRange, ...]
    timezone: str = DEFAULT_TIMEZONE
    # Days before a window opens that a reading is already taken (held until it opens); 0: off.
    early_days: int = 0

    def __post_init__(self) -> None:
        if not self.ranges:
            raise DomainError.of("window.empty")
        if not 0 <= self.early_days <= MAX_EARLY_DAYS:
            raise DomainError.of("window.invalid_early", days=self.early_days, most=MAX_EARLY_DAYS)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # "Europe" is a folder
            raise DomainError.of("window.invalid_timezone", timezone=self.timezone) from exc

    @classmethod
    def default(cls) -> WindowRule:
        """5th → last day of the month, Kyiv time: heat and hot water (Kyivteploenergo)."""
        return cls((DayRange(5, -1),))

    @classmethod
    def parse(cls, text: str, timezone: str = DEFAULT_TIMEZONE) -> WindowRule:
        """Reads ``"5..-1"``, ``"-2..3"``, ``"1..5@-1"``, several joined by commas, each rule
        optionally followed by ``early N`` (days of early sending)."""
        early = _EARLY.match(text)
        ranges_text = early[1] if early else text
        ranges = []
        for part in ranges_text.split(","):
            match = _RULE.match(part)
            if not match:
                raise DomainError.of("window.invalid_rule", rule=text)
            ranges.append(DayRange(int(match[1]), int(match[2]), int(match[3] or 0)))
        return cls(tuple(ranges), timezone, int(early[2]) if early else 0)

    def __str__(self) -> str:
        early = f" early {self.early_days}" if self.early_days else ""
        return self.ranges_text + early

    @property
    def ranges_text(self) -> str:
        """The day ranges alone, without early sending: what the portal's rule field shows."""
        return ",".join(str(r) for r in self.ranges)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # zoneinfo caches instances by key

    def _openings_around(self, instant: datetime) -> tuple[OpenWindow, ...]:
        local = instant.astimezone(self.zone)
        return _openings(self, local.year, local.month)

    def window_at(self, instant: datetime) -> OpenWindow | None:
        """The window open at this instant, or None when every window is closed."""
        _require_aware(instant)
        for window in self._openings_around(instant):
            if window.contains(instant):
                return window
        return None

    def next_window(self, instant: datetime) -> OpenWindow:
        """The first window opening after this instant."""
        _require_aware(instant)
        return next(w for w in self._openings_around(instant) if w.opens_at > instant)

    def last_closed(self, instant: datetime) -> OpenWindow:
        """The window that closed last at or before this instant."""
        _require_aware(instant)
        local = instant.astimezone(self.zone)
        before = BillingPeriod(local.year, local.month).shift(-1)  # openings from 2 months back
        around = _openings(self, before.year, before.month) + self._openings_around(instant)
        return max((w for w in around if w.closes_at <= instant), key=lambda w: w.closes_at)

    def window_for(self, period: BillingPeriod) -> OpenWindow:
        """The (first) window that takes readings for this billing period."""
        middle = datetime(period.year, period.month, 15, tzinfo=UTC)
        return next(w for w in self._openings_around(middle) if w.period == period)

    def early_from(self, window: OpenWindow) -> datetime:
        """When early sending for `window` starts: local midnight `early_days` days before the
        day it opens (the window's own opening when early sending is off)."""
        first = window.opens_at.astimezone(self.zone).date()
        start = datetime.combine(first - timedelta(days=self.early_days), time(), self.zone)
        return start.astimezone(UTC)

    def intake_at(self, instant: datetime) -> Intake | None:
        """The window a reading sent at this instant counts for: the one open, else the next one
        while its early span runs (held until it opens); None when readings are not taken."""
        window = self.window_at(instant)
        if window is not None:
            return Intake(window)
        if self.early_days:
            nxt = self.next_window(instant)
            if self.early_from(nxt) <= instant:
                return Intake(nxt, nxt.opens_at)
        return None

    def local_today(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()


@lru_cache(maxsize=1024)
def current_or_next(rule: WindowRule, instant: datetime) -> OpenWindow:
    """The window open at `instant`, or, when every window is closed, the next one to open:
    the window a resident is told about (send now until its last day, or from its first)."""
    return rule.window_at(instant) or rule.next_window(instant)


def _openings(rule: WindowRule, year: int, month: int) -> tuple[OpenWindow, ...]:
    """Every opening from the month before to two months after, in order. Cached: a submission
    asks for the same supplier and month again and again."""
    zone = rule.zone
    here = BillingPeriod(year, month)
    openings = []
    for shift in (-1, 0, 1, 2):
        month_ = here.shift(shift)
        for rng in rule.ranges:
            first, last = rng.opening_in(month_.year, month_.month)
            opens = datetime.combine(first, time(), zone).astimezone(UTC)
            closes = datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC)
            openings.append(OpenWindow(month_.shift(rng.period_offset), opens, closes))
    return tuple(sorted(openings, key=lambda w: w.opens_at))


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: times must carry a zone")
