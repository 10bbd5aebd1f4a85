"""Readings and the rules a new one must meet against the meter's history."""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from komunalka.domain.errors import Severity, Violation
from komunalka.domain.meters import TOTAL, Meter, MeterStatus
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.services import Channel

# A month's use above this many times the meter's usual month asks for confirmation.
JUMP_FACTOR = Decimal(3)
# A rollover is plausible only from the top tenth of the dial to its bottom tenth.
ROLLOVER_SHARE = Decimal("0.1")


class ReadingStatus(StrEnum):
    ACCEPTED = "accepted"
    # Corrected by a later reading of the same register and period; kept in history.
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class Reading:
    meter_id: int
    register: str
    period: BillingPeriod
    value: Decimal
    submitted_at: datetime
    channel: Channel
    receipt: str
    status: ReadingStatus = ReadingStatus.ACCEPTED
    id: int | None = None
    submission_id: int | None = None
    # Sent early: held from the supplier until this moment, when its window opens (ADR 0018).
    held_until: datetime | None = None


# RFC 4648 base32 mapped onto Crockford's alphabet (no I, L, O, U: nothing to misread).
_CROCKFORD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)


def new_receipt(period: BillingPeriod) -> str:
    """A receipt number a person can read out on the phone: ``2611-7KQ2-M9XD`` (40 random bits)."""
    body = base64.b32encode(secrets.token_bytes(5)).translate(_CROCKFORD).decode()
    return f"{period.year % 100:02d}{period.month:02d}-{body[:4]}-{body[4:]}"


_RECEIPT = re.compile(r"^[0-9A-Z-]{1,20}$", re.ASCII)


def looks_like_receipt(text: str) -> bool:
    """Whether `text` (upper-cased) could be a receipt at all: worth looking up (a NUL byte or a
    long string never reaches the database)."""
    return bool(_RECEIPT.match(text))


def meter_state_violations(meter: Meter, today: date) -> list[Violation]:
    """Whether the meter may take readings at all today (supplier's local date)."""
    if meter.status is not MeterStatus.ACTIVE:
        return [Violation("meter.not_active", {"status": meter.status.value}, meter_id=meter.id)]
    if meter.verification_overdue(today):
        assert meter.verification_due is not None
        due = meter.verification_due.isoformat()
        return [Violation("meter.verification_overdue", {"due": due}, meter_id=meter.id)]
    return []


@dataclass(frozen=True, slots=True)
class PastValue:
    period: BillingPeriod
    value: Decimal


def usual_monthly_use(history: Sequence[PastValue]) -> Decimal | None:
    """Average use per month across the accepted history (oldest first); None under two points."""
    if len(history) < 2:
        return None
    first, last = history[0], history[-1]
    months = last.period.months_since(first.period)
    used = last.value - first.value
    if months <= 0 or used < 0:
        return None
    return used / months


def check_value(
    meter: Meter,
    register: str,
    value: Decimal,
    period: BillingPeriod,
    history: Sequence[PastValue],
) -> list[Violation]:
    """Rules for one register's new value; `history` is accepted values of earlier periods.

    Codes: ``reading.below_previous`` (error); ``reading.rollover`` and ``reading.jump``
    (warnings: accepted only when confirmed). An unchanged value is valid: owners of electric water
    heaters must send it every month even when nothing moved.
    """
    earlier = [p for p in history if p.period < period]
    if not earlier:
        return []
    previous = earlier[-1]
    base = {"previous": str(previous.value), "previous_period": str(previous.period)}
    used = value - previous.value
    if used < 0:
        top = meter.capacity * (1 - ROLLOVER_SHARE)
        if previous.value >= top and value < meter.capacity * ROLLOVER_SHARE:
            used = meter.capacity - previous.value + value
            params = {**base, "used": str(used)}
            return [Violation("reading.rollover", params, Severity.WARNING, meter.id, register)]
        return [Violation("reading.below_previous", base, meter_id=meter.id, register=register)]
    months = max(period.months_since(previous.period), 1)
    monthly = used / months
    usual = usual_monthly_use(earlier)
    ceiling = meter.service.typical_monthly_ceiling
    limit = ceiling if usual is None else max(usual * JUMP_FACTOR, ceiling / 4)
    if monthly > limit:
        shown = (usual or Decimal(0)).quantize(Decimal("0.1"))
        params = {**base, "used": str(used), "usual": str(shown)}
        return [Violation("reading.jump", params, Severity.WARNING, meter.id, register)]
    return []


def check_total(meter: Meter, values: Mapping[str, Decimal]) -> list[Violation]:
    """Where a meter shows a total, it must equal the sum of its zones."""
    if not meter.has_total or TOTAL not in values:
        return []
    if any(zone not in values for zone in meter.zones):
        return [Violation("reading.total_needs_zones", meter_id=meter.id, register=TOTAL)]
    zones = sum((values[z] for z in meter.zones), Decimal(0))
    if zones != values[TOTAL]:
        params = {"total": str(values[TOTAL]), "sum": str(zones)}
        return [Violation("reading.total_mismatch", params, meter_id=meter.id, register=TOTAL)]
    return []
