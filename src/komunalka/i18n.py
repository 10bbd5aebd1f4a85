"""Translations through gettext catalogs (``locale/<lang>/LC_MESSAGES/komunalka.po``).

Stable codes (``reading.below_previous``) and plain English sentences are both msgids; Ukrainian
is the default language and English the other one. Parameters are filled in with ``{name}``;
numbers among them are written as the language writes numbers (`komunalka.formats`): a Decimal
parameter, and the parameters of violations that carry numbers or a period as machine text
(``previous="2335.500"``, ``previous_period="2026-10"``, ``due="2026-11-01"``; the domain keeps
them so, for the API), and dates.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from komunalka import formats

DOMAIN = "komunalka"
LANGUAGES = ("uk", "en")
DEFAULT_LANGUAGE = "uk"
LOCALE_DIR = Path(__file__).parent / "locale"
# Violation parameters that hold a number or a period as machine text (domain/readings.py).
NUMBER_PARAMS = frozenset({"previous", "used", "usual", "total", "sum"})
PERIOD_PARAMS = frozenset({"previous_period"})
DATE_PARAMS = frozenset({"due", "opens", "early"})  # early: when early sending starts
# The areas of the domain's violations, whose `period` is a billing period as machine text.
VIOLATION_AREAS = ("reading.", "window.", "meter.")
_MACHINE_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$", re.ASCII)


@lru_cache(maxsize=len(LANGUAGES))
def catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


class _Params(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def translate(
    msgid: str, language: str = DEFAULT_LANGUAGE, params: Mapping[str, object] | None = None
) -> str:
    """The text for `msgid` in `language`, with `params` filled in; an unknown language falls
    back to Ukrainian, an unknown code to the generic error text."""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    text = catalog(lang).gettext(msgid)
    if text == msgid and "." in msgid and " " not in msgid:
        text = catalog(lang).gettext("error.unknown")
    return text.format_map(_Params(_written(msgid, params, lang) if params else {}))


def _written(msgid: str, params: Mapping[str, object], language: str) -> dict[str, object]:
    """The parameters with their numbers, periods and dates as `language` writes them."""
    periods = PERIOD_PARAMS | {"period"} if msgid.startswith(VIOLATION_AREAS) else PERIOD_PARAMS
    written = dict(params)
    for name, value in params.items():
        if isinstance(value, Decimal):
            written[name] = formats.number(value, language)
        elif (isinstance(value, date) and not isinstance(value, datetime)) or (
            isinstance(value, str) and name in DATE_PARAMS
        ):
            written[name] = formats.day(value, language)
        elif isinstance(value, str) and name in NUMBER_PARAMS and _MACHINE_NUMBER.match(value):
            written[name] = formats.number(Decimal(value), language)
        elif isinstance(value, str) and name in periods:
            written[name] = formats.month(value, language)
    return written


def day_in_words(value: date, language: str = DEFAULT_LANGUAGE) -> str:
    """A day as people write it in their language: ``3 грудня 2026``, ``3 December 2026``."""
    return formats.day(value, language)


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header; Ukrainian when nothing fits."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((-weight, index, tag.strip().lower().split("-")[0]))
    for _, _, lang in sorted(ranked):
        if lang in LANGUAGES:
            return lang
    return DEFAULT_LANGUAGE
