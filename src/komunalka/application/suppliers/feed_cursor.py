"""A feed's cursor: opaque to suppliers, base64url (no padding) of ``<supplier id>.<position>``.

Bound to its supplier, so one supplier's cursor is refused by another's feed. Anything that does
not decode to this supplier's non-negative position is ``feed.bad_cursor``."""

from __future__ import annotations

import base64
import binascii
import re

from komunalka.domain.errors import DomainError

MAX_CURSOR = 64
_SHAPE = re.compile(r"^(\d{1,10})\.(\d{1,18})$")


def encode_cursor(supplier_id: int, position: int) -> str:
    raw = f"{supplier_id}.{position}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, supplier_id: int) -> int:
    """The position a cursor stands for, or ``feed.bad_cursor``."""
    text = cursor.strip()
    if not text or len(text) > MAX_CURSOR or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise DomainError.of("feed.bad_cursor")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise DomainError.of("feed.bad_cursor") from None
    match = _SHAPE.match(raw)
    if match is None or int(match.group(1)) != supplier_id:
        raise DomainError.of("feed.bad_cursor")
    return int(match.group(2))
