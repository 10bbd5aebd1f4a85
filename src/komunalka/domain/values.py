"""Reading values as people type them: ``1234,5``, ``1234.5``, ``12 345``, ``001234``.

A comma is a decimal separator in Ukrainian; spaces (ordinary, non-breaking, thin) group digits.
Anything else is refused with a stable code, and the value is never guessed.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from komunalka.domain.errors import InvalidReading

_PLAIN = re.compile(r"^\d{1,12}(?:[.,]\d{1,6})?$")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_NUMBER = re.compile(r"^(\d*)(?:[.,](\d*))?$")
_NOT_FINITE = re.compile(r"^[+-]?(nan|snan|inf|infinity)$", re.IGNORECASE)
_EXPONENT = re.compile(r"^[+-]?[\d.,]+e[+-]?\d+$", re.IGNORECASE)
_NEGATIVE = re.compile(r"^[-\u2212\u2013][\d\s.,]+$")

MILLI = Decimal("0.001")


def parse_reading(text: str | int | Decimal, digits: int, decimals: int) -> Decimal:
    """The exact value of a typed reading for a register with this capacity and precision.

    Raises InvalidReading with one of: ``reading.empty``, ``reading.negative``,
    ``reading.not_finite``, ``reading.exponent``, ``reading.not_a_number``,
    ``reading.too_many_digits`` (params: digits), ``reading.too_many_decimals`` (params: decimals).
    """
    if isinstance(text, bool):
        raise InvalidReading("reading.not_a_number", value=text)
    if isinstance(text, int | Decimal):
        return _check(_from_decimal(Decimal(text), str(text)), digits, decimals)
    if _PLAIN.match(text):  # the common case, machine-written or typed plainly
        return _check(Decimal(text.replace(",", ".", 1)), digits, decimals)
    raw = _SPACES.sub("", text.strip())
    if not raw:
        raise InvalidReading("reading.empty")
    if _NEGATIVE.match(raw):
        raise InvalidReading("reading.negative", value=text.strip())
    if _NOT_FINITE.match(raw):
        raise InvalidReading("reading.not_finite", value=text.strip())
    if _EXPONENT.match(raw):
        raise InvalidReading("reading.exponent", value=text.strip())
    match = _NUMBER.match(raw)
    if not match or not (match[1] or match[2]):
        raise InvalidReading("reading.not_a_number", value=text.strip())
    whole, fraction = match[1] or "0", (match[2] or "").rstrip("0")
    if len(fraction) > decimals:
        raise InvalidReading("reading.too_many_decimals", decimals=decimals)
    value = Decimal(f"{whole}.{fraction or '0'}")
    return _check(value, digits, decimals)


def _from_decimal(value: Decimal, shown: str) -> Decimal:
    if not value.is_finite():
        raise InvalidReading("reading.not_finite", value=shown)
    if value.is_signed():  # -0 too, as the typed "-0" is
        raise InvalidReading("reading.negative", value=shown)
    return value


def _check(value: Decimal, digits: int, decimals: int) -> Decimal:
    if value >= Decimal(10) ** digits:
        raise InvalidReading("reading.too_many_digits", digits=digits)
    if value != value.quantize(Decimal(1).scaleb(-decimals)):
        raise InvalidReading("reading.too_many_decimals", decimals=decimals)
    return value.quantize(MILLI)


_SIMPLE = re.compile(r"^(\d{1,9})(?:[.,](\d{1,3}))?$")


def parse_milli(text: str, digits: int, decimals: int) -> int:
    """`parse_reading` straight to thousandths; plain digits skip Decimal (bulk imports)."""
    match = _SIMPLE.match(text)
    if match:
        whole, fraction = match[1], (match[2] or "").rstrip("0")
        if len(whole.lstrip("0")) <= digits and len(fraction) <= decimals:
            return int(whole) * 1000 + int(fraction.ljust(3, "0"))
    return to_milli(parse_reading(text, digits, decimals))


def to_milli(value: Decimal) -> int:
    """Storage form: integer thousandths, so SQLite and PostgreSQL agree exactly."""
    try:
        return int((value / MILLI).to_integral_exact())
    except InvalidOperation as exc:  # pragma: no cover - parse_reading caps decimals at 3
        raise InvalidReading("reading.too_many_decimals", decimals=3) from exc


def from_milli(milli: int) -> Decimal:
    return (Decimal(milli) * MILLI).quantize(MILLI)


def format_value(value: Decimal, decimals: int) -> str:
    """A stored value the way the meter shows it (no trailing thousandths it does not have)."""
    return f"{value:.{decimals}f}"
