"""Numbers and months as a language writes them, for people (never for machine downloads).

Ukrainian: ``2 335,5`` (a narrow no-break space, U+202F, between thousands, a comma before the
decimals) and ``листопад 2026``; English: ``2,335.5`` and ``November 2026``. Every door that
shows a number to a person goes through here: the bot, the pages' ``number`` filter, the
sentences of warnings (`translate` formats their number parameters). Files and API answers meant
for programs keep the machine form (``2335.500``, ``2026-11``).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date, get_month_names

# (thousands, decimal point) per language; the Ukrainian pair is the pages' since issue 8.
SEPARATORS = {"uk": ("\u202f", ","), "en": (",", ".")}
DEFAULT = "uk"
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)


def number(value: Decimal | int | float, language: str, places: int | None = None) -> str:
    """`value` with thousands grouped; `places` fixes the decimals shown (rounded half even,
    as Decimal does), otherwise an exact number shows the decimals it has and no trailing
    zeros."""
    thousands, point = SEPARATORS.get(language, SEPARATORS[DEFAULT])
    if places is not None:
        rounded = Decimal(value).quantize(Decimal(1).scaleb(-places))
        text = f"{abs(rounded) if rounded.is_zero() else rounded:,.{places}f}"  # never "-0,00"
    elif isinstance(value, Decimal):
        text = f"{_plain(value):,f}"
    else:
        text = f"{value:,}"
    return text.replace(",", "\0").replace(".", point).replace("\0", thousands)


def reading(value: Decimal, decimals: int, language: str) -> str:
    """A meter's value for a person: never more decimals than the meter shows, and none of its
    trailing zeros (the meter's ``2335.500`` reads ``2 335,5``; the same number)."""
    shown = value.quantize(Decimal(1).scaleb(-decimals)) if decimals >= 0 else value
    return number(_plain(shown), language)


def signed(value: Decimal, decimals: int, language: str) -> str:
    """A use, with its sign: ``+12,5``."""
    text = reading(value, decimals, language)
    return text if text.startswith("-") else f"+{text}"


def month(period: str, language: str) -> str:
    """A billing period (``2026-11``) as its month and year: ``листопад 2026``,
    ``November 2026``; a text that is not a period is given back as it is."""
    found = _PERIOD.match(period)
    if not found or not 1 <= int(found[2]) <= 12:
        return period
    return f"{_months(language)[int(found[2])]} {found[1]}"


def day(value: date | str, language: str) -> str:
    """A date as its day, month and year: ``5 грудня 2026``, ``5 December 2026``; a text that
    is not an ISO date is given back as it is."""
    if isinstance(value, str):
        try:
            when = date.fromisoformat(value)
        except ValueError:
            return value
    else:
        when = value
    locale = language if language in SEPARATORS else DEFAULT
    return str(format_date(when, "d MMMM y", locale=locale))


@lru_cache(maxsize=4)
def _months(language: str) -> dict[int, str]:
    """The months' names standing alone (the nominative: листопад, not листопада)."""
    locale = language if language in SEPARATORS else DEFAULT
    return dict(get_month_names("wide", "stand-alone", locale=locale))


def _plain(value: Decimal) -> Decimal:
    """No trailing zeros, and never an exponent (normalize() makes 1E+3 of 1000)."""
    if value.is_zero():
        return Decimal(0)  # and not -0
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal
