"""Reading a meter from a photo: the port a door asks, and what it answers.

Who may call it: a door, with a photo a resident or an operator sent for one meter. What it
guarantees: a value only when the counter's billed integer part was read whole and has exactly
the meter's digit count; anything else is a `ReadFailure`, never a guess. Nothing is stored here:
the door asks the resident "Is it 01234?" and only a confirmed value goes through the normal
submission with its previous-reading checks (docs/adr/0027-meter-photos.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from komunalka.domain.errors import Violation
from komunalka.domain.meters import Meter
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import PastValue, check_value


class ReadFailure(StrEnum):
    UNAVAILABLE = "photo.unavailable"  # no reader installed (the ``ocr`` extra): type it
    NOT_A_PHOTO = "photo.not_a_photo"
    UNREADABLE = "photo.unreadable"  # no counter of the meter's shape found: a closer photo
    # read, but below the previous reading or an unusual jump: a closer photo, or type it
    CHECK_FAILED = "photo.check_failed"


@dataclass(frozen=True, slots=True)
class MeterRead:
    value: int | None  # the billed integer part
    failure: ReadFailure | None = None
    confidence: float = 0.0


class MeterReader(Protocol):
    """Reads the integer part of a meter's counter from a photo (JPEG, PNG, WebP)."""

    available: bool

    async def read(self, image: bytes, digits: int, decimals: int) -> MeterRead: ...


class NoMeterReader:
    """The reader without the ``ocr`` extra: every photo is kept as evidence, the value typed."""

    available = False

    async def read(self, image: bytes, digits: int, decimals: int) -> MeterRead:
        return MeterRead(None, ReadFailure.UNAVAILABLE)


def shown(value: int, digits: int) -> str:
    """The value as the counter shows it, leading zeros and all: 1234 on five drums is 01234."""
    return f"{value:0{digits}d}"


def photo_read_violations(
    meter: Meter, register: str, value: int, period: BillingPeriod, history: Sequence[PastValue]
) -> list[Violation]:
    """The previous-reading checks a read must pass before the resident is even asked to confirm
    it: below the previous reading, a rollover or an unusual jump all mean "retake or type it"
    (a misread 6/8/9 or a lost digit looks exactly like one). Earlier values are compared by their
    integer part, the only part a photo reads."""
    whole = [PastValue(p.period, Decimal(int(p.value))) for p in history]
    return check_value(meter, register, Decimal(value), period, whole)
