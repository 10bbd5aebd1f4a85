"""Logins and passwords, as every feature that signs people in or manages them reads them, and
the kinds of web session (a resident's, a staff member's)."""

from __future__ import annotations

import re

from komunalka.domain.errors import DomainError
from komunalka.domain.ids import is_ascii_number

MIN_PASSWORD = 8
MAX_PASSWORD = 128

# the kinds of web session
RESIDENT = "resident"
STAFF = "staff"

_EMAIL = re.compile(r"^[^@\s\x00]{1,64}@[^@\s\x00]+\.[^@\s\x00]{2,}$")


def normalize_login(text: str) -> str:
    """An e-mail (lower-cased) or a Ukrainian phone number as +380XXXXXXXXX; anything else is
    refused with ``signin.bad_login``."""
    value = text.strip()
    if "@" in value:
        value = value.lower()
        if len(value) > 254 or not _EMAIL.match(value):
            raise DomainError.of("signin.bad_login")
        return value
    digits = re.sub(r"[\s()\-]", "", value)
    if digits.startswith("+"):
        digits = digits[1:]
    if not is_ascii_number(digits):
        raise DomainError.of("signin.bad_login")
    if len(digits) == 10 and digits.startswith("0"):
        digits = "38" + digits
    if len(digits) != 12 or not digits.startswith("380"):
        raise DomainError.of("signin.bad_login")
    return "+" + digits


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise DomainError.of("signin.weak_password", length=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise DomainError.of("signin.long_password", length=MAX_PASSWORD)
