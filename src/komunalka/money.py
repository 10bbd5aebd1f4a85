"""Money as each language writes it: ``1 234,56 грн`` in Ukrainian, ``1,234.56 UAH`` in English.

The one place amounts of hryvnias are put into words, for the chat and the pages alike; the
digits come from `komunalka.formats`, as every number shown to a person does.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from komunalka.formats import SEPARATORS, number
from komunalka.i18n import translate

KOPIYKA = Decimal("0.01")


def format_money(amount: Decimal, language: str) -> str:
    rounded = amount.quantize(KOPIYKA, rounding=ROUND_HALF_UP)
    lang = language if language in SEPARATORS else "uk"
    text = number(rounded, lang, places=2)
    return translate("money.uah", lang, {"amount": text})
