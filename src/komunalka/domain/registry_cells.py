"""A registry row's cells one by one: numbers, zones, dates, periods, readings and the
water-heater flag, each parsed once per distinct text (a registry repeats the same few shapes,
dates and periods a million times, so they are remembered)."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from komunalka.domain.errors import DomainError, InvalidReading, Violation
from komunalka.domain.meters import meter_shape_violations
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.values import parse_milli

_SMALL_INT = re.compile(r"[0-9]{1,2}")
_CACHE = 4096
# How suppliers write the water-heater flag; an empty cell says no.
_YES = ("1", "yes", "y", "true", "так", "т", "+")
_NO = ("", "0", "no", "n", "false", "ні", "н", "-")
_FLAGS = {**dict.fromkeys(_YES, True), **dict.fromkeys(_NO, False)}


@lru_cache(maxsize=_CACHE)
def small_int(text: str) -> int | None:
    return int(text) if _SMALL_INT.fullmatch(text) else None


@lru_cache(maxsize=_CACHE)
def register_list(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


@lru_cache(maxsize=_CACHE)
def shape_violations(
    registers: tuple[str, ...], digits: int, decimals: int
) -> tuple[Violation, ...]:
    return tuple(meter_shape_violations(registers, digits, decimals))


@lru_cache(maxsize=_CACHE)
def iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@lru_cache(maxsize=_CACHE)
def period_of(text: str) -> BillingPeriod | Violation:
    try:
        return BillingPeriod.parse(text)
    except DomainError as exc:
        return exc.violations[0]


@lru_cache(maxsize=64)
def flag(text: str) -> bool | None:
    """The water-heater cell (trimmed) as yes or no; None when it is neither."""
    return _FLAGS.get(text.casefold())


def checked_date(text: str, problems: list[Violation]) -> date | None:
    if not text:
        return None
    found = iso_date(text)
    if found is None:
        problems.append(Violation("registry.bad_date", {"date": text}))
    return found


def checked_reading(
    period_text: str,
    values_text: str,
    registers: tuple[str, ...],
    digits: int,
    decimals: int,
    problems: list[Violation],
) -> tuple[BillingPeriod | None, tuple[int, ...]]:
    if not period_text and not values_text:
        return None, ()
    period = period_of(period_text)
    if isinstance(period, Violation):
        problems.append(period)
        return None, ()
    texts = values_text.split("|")
    if len(texts) != len(registers):
        problems.append(Violation("registry.values_mismatch", {"registers": "|".join(registers)}))
        return None, ()
    if problems:  # the meter's shape is wrong: its values cannot be judged
        return None, ()
    try:
        return period, tuple(parse_milli(t, digits, decimals) for t in texts)
    except InvalidReading as exc:
        problems.extend(exc.violations)
        return None, ()
