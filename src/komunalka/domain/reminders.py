"""Reminders: which rules a supplier keeps, on which day each falls, and when in that day a
resident's message may go.

Rules are configuration per supplier, with defaults that follow what suppliers ask of residents
(DOMAIN.md, "Reminders in practice"): when the window opens, three days before it closes, on its
last day; and a notice before a meter's verification falls due and when it is overdue. Messages
go out only within quiet hours (09:00-20:00 Kyiv by default) and are spread over them: a
resident's moment in the day follows from their id, so a million messages are not all due at
09:00 and a re-planned rule puts each resident at the same moment again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from komunalka.domain.errors import DomainError
from komunalka.domain.windows import DEFAULT_TIMEZONE, OpenWindow


class RuleKind(StrEnum):
    OPENS = "opens"  # the day the window opens
    BEFORE_CLOSE = "before_close"  # `days` days before its last day
    LAST_DAY = "last_day"  # its last day
    VERIFICATION_SOON = "verification_soon"  # `days` days before a meter's verification is due
    VERIFICATION_OVERDUE = "verification_overdue"  # once its verification date has passed

    @property
    def about_verification(self) -> bool:
        return self in (RuleKind.VERIFICATION_SOON, RuleKind.VERIFICATION_OVERDUE)


# How many days ahead a meter's verification is announced: the reminder's default, and the
# notice on the resident's meter list and history (which say it whatever a supplier stored).
VERIFICATION_SOON_DAYS = 30

# The kinds in the order staff see them, with their default `days`.
DEFAULT_DAYS: dict[RuleKind, int] = {
    RuleKind.OPENS: 0,
    RuleKind.BEFORE_CLOSE: 3,
    RuleKind.LAST_DAY: 0,
    RuleKind.VERIFICATION_SOON: VERIFICATION_SOON_DAYS,
    RuleKind.VERIFICATION_OVERDUE: 0,
}

MAX_DAYS = 90


@dataclass(frozen=True, slots=True)
class ReminderRule:
    """One rule of one supplier. `enabled` off: never planned; `paused`: planned messages wait
    (staff pause a rule that misfires, then resume it)."""

    supplier_id: int
    kind: RuleKind
    days: int = 0
    enabled: bool = True
    paused: bool = False
    id: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.days <= MAX_DAYS:
            raise DomainError.of("reminders.bad_days", days=self.days, most=MAX_DAYS)

    def with_id(self, rule_id: int) -> ReminderRule:
        return replace(self, id=rule_id)


def default_rules(supplier_id: int) -> list[ReminderRule]:
    return [ReminderRule(supplier_id, kind, days) for kind, days in DEFAULT_DAYS.items()]


def rules_with_defaults(supplier_id: int, stored: list[ReminderRule]) -> list[ReminderRule]:
    """The supplier's rules: what staff stored, and the defaults for the kinds never touched."""
    by_kind = {rule.kind: rule for rule in stored}
    return [by_kind.get(rule.kind, rule) for rule in default_rules(supplier_id)]


def window_rule_day(rule: ReminderRule, window: OpenWindow, zone: ZoneInfo) -> date:
    """The day (supplier's wall clock) a window rule falls on for this opening of the window."""
    first = window.opens_at.astimezone(zone).date()
    last = (window.closes_at - timedelta(microseconds=1)).astimezone(zone).date()
    if rule.kind is RuleKind.OPENS:
        return first
    if rule.kind is RuleKind.BEFORE_CLOSE:
        return max(first, last - timedelta(days=rule.days))
    if rule.kind is RuleKind.LAST_DAY:
        return last
    raise ValueError(f"{rule.kind} is not a window rule")


@dataclass(frozen=True, slots=True)
class SendSpan:
    """Where a rule's messages go in time: from `start` (epoch seconds), over `seconds`."""

    start: int
    seconds: int

    def moment(self, key: int) -> int:
        """The epoch second for the resident with this id: a fixed, well-mixed spot in the span
        (Knuth's multiplicative hash), so neighbours in id are not neighbours in time."""
        return self.start + (key * 2654435761 % 4294967296) % max(self.seconds, 1)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Messages go out between `opens` and `closes`, the residents' wall clock."""

    opens: time = time(9)
    closes: time = time(20)
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise DomainError.of("reminders.bad_quiet_hours")

    @classmethod
    def parse(cls, text: str, timezone: str = DEFAULT_TIMEZONE) -> QuietHours:
        """Reads ``"09:00-20:00"``."""
        try:
            opens, closes = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError as exc:
            raise DomainError.of("reminders.bad_quiet_hours") from exc
        return cls(opens, closes, timezone)

    def _bounds(self, day: date) -> tuple[datetime, datetime]:
        zone = ZoneInfo(self.timezone)
        start = datetime.combine(day, self.opens, zone).astimezone(UTC)
        return start, datetime.combine(day, self.closes, zone).astimezone(UTC)

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(ZoneInfo(self.timezone)).date()

    def closing(self, instant: datetime) -> datetime:
        """When the quiet hours of `instant`'s day end."""
        return self._bounds(self.local_day(instant))[1]

    def allows(self, instant: datetime) -> bool:
        local = instant.astimezone(ZoneInfo(self.timezone)).time()
        return self.opens <= local < self.closes

    def span(self, day: date, now: datetime) -> SendSpan | None:
        """The part of `day`'s quiet hours not yet past at `now`; None when none is left."""
        start, end = self._bounds(day)
        start = max(start, now)
        if start >= end:
            return None
        return SendSpan(int(start.timestamp()), int((end - start).total_seconds()))

    def next_open(self, now: datetime) -> datetime:
        """`now` when messages may go; otherwise the next moment they may."""
        if self.allows(now):
            return now
        local_day = now.astimezone(ZoneInfo(self.timezone)).date()
        for day in (local_day, local_day + timedelta(days=1)):
            start, _ = self._bounds(day)
            if start > now:
                return start
        raise AssertionError("quiet hours open every day")  # pragma: no cover


def epoch(instant: datetime) -> int:
    return int(instant.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
