"""Translations through gettext catalogs (``locale/<lang>/LC_MESSAGES/komunalka.po``).

Stable codes (``reading.below_previous``) and plain English sentences are both msgids; Ukrainian
is the default language and English the other one. Parameters are filled in with ``{name}``.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path

DOMAIN = "komunalka"
LANGUAGES = ("uk", "en")
DEFAULT_LANGUAGE = "uk"
LOCALE_DIR = Path(__file__).parent / "locale"


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
    return text.format_map(_Params(params or {}))


def day_in_words(value: date, language: str = DEFAULT_LANGUAGE) -> str:
    """A day as people write it in their language: ``3 грудня 2026``, ``3 December 2026``."""
    return translate(
        f"date.day_of_month_{value.month}", language, {"day": value.day, "year": value.year}
    )


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
