"""A receipt's signed record: one canonical byte string per accepted reading, and the token that
carries it with its signature (docs/adr/0023-signed-receipts.md; the format is in the README,
"Receipts anyone can verify").

The record is UTF-8 text, one ``name=value`` line per field in a fixed order, each line ending
in a line feed, under a first line naming the format and its version::

    komunalka-receipt/1
    receipt=2611-7KQ2-M9XD
    supplier=kyivteplo
    account=1234567890
    meter=HW-000123
    period=2026-11
    register=total
    value=123.450
    time=2026-11-29T18:04:05Z
    channel=web

A value holds no control character, so no field can spill into another; the value has exactly
the meter's decimals; the time is UTC to the second. `parse` accepts only bytes that `canonical`
would write again, byte for byte: one record, one encoding.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod

FORMAT = "komunalka-receipt/1"
FIELDS = (
    "receipt",
    "supplier",
    "account",
    "meter",
    "period",
    "register",
    "value",
    "time",
    "channel",
)
# The token a QR code carries: MARK, the record, the key id and the signature, each
# part base64url without padding, joined by dots.
MARK = "KR1"
MAX_TOKEN = 2000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_VALUE = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]+)?$")
_TIME = "%Y-%m-%dT%H:%M:%SZ"
_KEY_ID = re.compile(r"^[0-9a-f]{8,64}$")


@dataclass(frozen=True, slots=True)
class ReceiptRecord:
    """What a receipt says: which reading of which meter the service accepted, when and how."""

    receipt: str
    supplier: str  # the supplier's code
    account: str
    meter: str  # the meter's serial
    period: BillingPeriod
    register: str
    value: Decimal
    decimals: int  # the meter's: the value is written with exactly this many
    submitted_at: datetime
    channel: str

    def canonical(self) -> bytes:
        """The bytes that are signed."""
        pairs = zip(FIELDS, self._texts(), strict=True)
        lines = [FORMAT, *(f"{name}={text}" for name, text in pairs)]
        return ("\n".join(lines) + "\n").encode("utf-8")

    def _texts(self) -> list[str]:
        texts = [
            self.receipt,
            self.supplier,
            self.account,
            self.meter,
            f"{self.period.year:04d}-{self.period.month:02d}",
            self.register,
            _value_text(self.value, self.decimals),
            self.submitted_at.astimezone(UTC).strftime(_TIME),
            self.channel,
        ]
        for text in texts:
            if not text or _CONTROL.search(text) or text != text.strip():
                raise ValueError(f"a receipt's field cannot be written: {text!r}")
        return texts

    @classmethod
    def parse(cls, data: bytes) -> ReceiptRecord:
        """The record these bytes encode; ``receipt.garbled`` unless they are a canonical one."""
        try:
            text = data.decode("utf-8")
            lines = text.split("\n")
            if lines[0] != FORMAT or lines[-1] != "" or len(lines) != len(FIELDS) + 2:
                raise ValueError("not the format")
            pairs = [line.split("=", 1) for line in lines[1:-1]]
            if [p[0] for p in pairs] != list(FIELDS) or any(len(p) != 2 for p in pairs):
                raise ValueError("not the fields")
            got = dict(pairs)
            value, decimals = _value_of(got["value"])
            record = cls(
                receipt=got["receipt"],
                supplier=got["supplier"],
                account=got["account"],
                meter=got["meter"],
                period=_period_of(got["period"]),
                register=got["register"],
                value=value,
                decimals=decimals,
                submitted_at=datetime.strptime(got["time"], _TIME).replace(tzinfo=UTC),
                channel=got["channel"],
            )
            if record.canonical() != data:
                raise ValueError("not canonical")
        except (UnicodeDecodeError, ValueError, KeyError, InvalidOperation, DomainError) as exc:
            raise DomainError.of("receipt.garbled") from exc
        return record


@dataclass(frozen=True, slots=True)
class ReceiptToken:
    """A record with its signature and the id of the key that made it."""

    record: bytes
    key_id: str
    signature: bytes

    def text(self) -> str:
        parts = (_b64(self.record), self.key_id, _b64(self.signature))
        return ".".join((MARK, *parts))

    @classmethod
    def parse(cls, text: str) -> ReceiptToken:
        """``receipt.garbled`` unless `text` is a token (the record inside is not checked)."""
        parts = text.strip().split(".")
        if len(text) > MAX_TOKEN or len(parts) != 4 or parts[0] != MARK:
            raise DomainError.of("receipt.garbled")
        _, record, key_id, signature = parts
        if not _KEY_ID.match(key_id):
            raise DomainError.of("receipt.garbled")
        return cls(_unb64(record), key_id, _unb64(signature))


def looks_like_token(text: str) -> bool:
    return text.strip().startswith(MARK + ".")


def _value_text(value: Decimal, decimals: int) -> str:
    if not 0 <= decimals <= 6 or not value.is_finite() or value < 0:
        raise ValueError(f"a receipt's value cannot be written: {value}")
    return f"{value:.{decimals}f}"


def _value_of(text: str) -> tuple[Decimal, int]:
    if not _VALUE.match(text):
        raise ValueError("not a value")
    _, _, fraction = text.partition(".")
    return Decimal(text), len(fraction)


def _period_of(text: str) -> BillingPeriod:
    year, _, month = text.partition("-")
    if len(year) != 4 or len(month) != 2 or not (year + month).isdigit():
        raise ValueError("not a period")
    return BillingPeriod(int(year), int(month))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise DomainError.of("receipt.garbled")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise DomainError.of("receipt.garbled") from exc
