"""Phone numbers and the SMS door's commands (issue 15, item 5; ADR 0026).

A reading by SMS is ``<account> <reading>``, or ``<account> <day> <night>`` for a two-zone
meter, as the gas supplier's 4647 and Moscow's 7377 take them. An account with several such
meters names one by its serial number's last characters after ``№`` (or ``#``):
``<account> №<serial's end> <reading>``. Numbers are written the way people write them
(``1234,5``); the values are checked later by the readings' own rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from komunalka.domain.meters import normalize_serial

_NOISE = re.compile(r"[\s\-().]")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$", re.ASCII)
_ACCOUNT = re.compile(r"^\d{4,20}$", re.ASCII)
_VALUE = re.compile(r"^\d{1,9}(?:[.,]\d{1,3})?$", re.ASCII)
_MARKS = ("№", "#")
_SERIAL_END = re.compile(r"^[0-9A-Z]{1,32}$", re.ASCII)


def normalize_phone(text: str) -> str | None:
    """A phone number in E.164 (``+380501112233``), or None when it is not one. Ukrainian
    numbers may be written without the country code (``050 111 22 33``) or its plus."""
    digits = _NOISE.sub("", text.strip())
    if re.fullmatch(r"0\d{9}", digits, re.ASCII):
        digits = "+38" + digits
    elif re.fullmatch(r"380\d{9}", digits, re.ASCII):
        digits = "+" + digits
    return digits if _E164.match(digits) else None


@dataclass(frozen=True, slots=True)
class SmsReading:
    """An account number and one value per zone, as typed (one, or day and night)."""

    account: str
    values: tuple[str, ...]
    # Ended with "!": the sender confirms what the readings' rules only warn of (a jump, a
    # rollover), as a reply to such a warning asks.
    confirmed: bool = False
    # The end of the meter's serial number (``№1234``), normalized, when the sender named one.
    meter: str | None = None


def parse_sms_reading(text: str) -> SmsReading | None:
    """``<account> [№<serial's end>] <reading>`` or ``… <day> <night>``, maybe ending with
    ``!``; None for anything else."""
    stripped = text.strip()
    confirmed = stripped.endswith("!")
    words = stripped.rstrip("!").split()
    if len(words) > 1 and words[1] in _MARKS and len(words) > 2:  # "№ 1234": the mark apart
        words[1:3] = [words[1] + words[2]]
    meter = None
    if len(words) > 1 and words[1][:1] in _MARKS:
        meter = normalize_serial(words[1][1:])
        if not _SERIAL_END.match(meter):
            return None
        del words[1]
    if not 2 <= len(words) <= 3 or not _ACCOUNT.match(words[0]):
        return None
    values = tuple(words[1:])
    if not all(_VALUE.match(v) for v in values):
        return None
    return SmsReading(words[0], values, confirmed, meter)
