"""ReadMeterPhoto: the value a photo of a meter shows, to be offered to the resident.

Who may call it: a door, for a resident's meter of a linked account (staff: any meter). What it
guarantees: a value only when the reader read the counter's integer part whole, with the meter's
digit count, and that value passes the previous-reading checks against the meter's accepted
history (below the previous reading, a rollover and an unusual jump all fail:
`photo.check_failed`). It stores nothing and submits nothing: the door asks "Is it 01234?" and a
confirmed value goes through SubmitReadings like a typed one (docs/adr/0027-meter-photos.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from komunalka.application.readings.photo_reading import (
    MeterRead,
    MeterReader,
    ReadFailure,
    photo_read_violations,
)
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.ports import Clock, MeterRepository, ReadingRepository
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import PastValue, ReadingStatus

HISTORY_MONTHS = 13
MAX_PHOTO_BYTES = 10_000_000  # a phone's full-size JPEG is 2-8 MB


@dataclass(frozen=True, slots=True)
class ReadMeterPhotoRequest:
    actor: Actor
    meter_id: int
    register: str
    image: bytes


@dataclass(frozen=True, slots=True)
class PhotoReading:
    value: int | None
    digits: int
    failure: ReadFailure | None = None


TOO_BIG = "photo.too_big"


class ReadMeterPhoto:
    def __init__(
        self,
        transactions: Transactions,
        meters: MeterRepository,
        readings: ReadingRepository,
        reader: MeterReader,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._meters = meters
        self._readings = readings
        self._reader = reader
        self._clock = clock

    @property
    def available(self) -> bool:
        return self._reader.available

    async def __call__(self, request: ReadMeterPhotoRequest) -> PhotoReading:
        """Raises DomainError `meter.not_found` for a meter the actor may not send for and
        `photo.too_big` for a photo over the limit; a photo that is not read is a failure."""
        if len(request.image) > MAX_PHOTO_BYTES:
            raise DomainError.of(TOO_BIG, most=MAX_PHOTO_BYTES // 1_000_000)
        actor = request.actor
        async with self._transactions():
            found = await self._meters.contexts(
                [request.meter_id], lock=False, resident_id=actor.resident_id
            )
            if not found or (actor.kind is ActorKind.RESIDENT and not found[0].linked):
                raise DomainError.of("meter.not_found")
            context = found[0]
            now = self._clock.now().astimezone(ZoneInfo(context.supplier.window.timezone))
            period = BillingPeriod(now.year, now.month)
            rows = await self._readings.history(request.meter_id, period.shift(-HISTORY_MONTHS))
        meter = context.meter
        if not self._reader.available:
            return PhotoReading(None, meter.digits, ReadFailure.UNAVAILABLE)
        read: MeterRead = await self._reader.read(request.image, meter.digits, meter.decimals)
        if read.value is None:
            return PhotoReading(None, meter.digits, read.failure or ReadFailure.UNREADABLE)
        history = [
            PastValue(r.period, r.value)
            for r in rows
            if r.register == request.register and r.status is ReadingStatus.ACCEPTED
        ]
        if photo_read_violations(meter, request.register, read.value, period, history):
            return PhotoReading(None, meter.digits, ReadFailure.CHECK_FAILED)
        return PhotoReading(read.value, meter.digits)
