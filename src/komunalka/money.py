"""Money as each language writes it: ``1 234,56 грн`` in Ukrainian, ``1,234.56 UAH`` in English.

The one place amounts of hryvnias are put into words, for the chat and the pages alike; when a
language-aware number formatter exists, this is the function to point at it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from komunalka.i18n import translate

KOPIYKA = Decimal("0.01")
# A narrow no-break space between thousands in Ukrainian, as the pages' `number` filter writes.
_THOUSANDS = {"uk": "\u202f", "en": ","}
_DECIMAL = {"uk": ",", "en": "."}


def format_money(amount: Decimal, language: str) -> str:
    rounded = amount.quantize(KOPIYKA, rounding=ROUND_HALF_UP)
    plain = f"{rounded:,.2f}"  # 1,234.56
    lang = language if language in _THOUSANDS else "uk"
    text = plain.replace(",", "\0").replace(".", _DECIMAL[lang]).replace("\0", _THOUSANDS[lang])
    return translate("money.uah", lang, {"amount": text})
