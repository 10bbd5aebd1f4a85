"""ReadMeterPhoto: the value a photo of a meter shows, to be offered to the resident.

Who may call it: a door, for a resident's meter of a linked account (staff: any meter). What it
guarantees: a value only when the reader read the counter's integer part whole, with the meter's
digit count, and that value passes the previous-reading checks against the meter's accepted
history (below the previous reading, a rollover and an unusual jump all fail:
`photo.check_failed`). It submits nothing: the door asks "Is it 01234?" and a confirmed value
goes through SubmitReadings like a typed one. Every picture that is one is kept as evidence
first, cleaned (no EXIF, upright, hashed; `photo_evidence`), with what the reader read
(docs/adr/0027-meter-photos.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from komunalka.application.readings.photo_evidence import (
    EvidenceImages,
    NewPhoto,
    NotAnImage,
    PhotoStore,
)
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
    photo_id: int | None = None  # the photo kept as evidence


TOO_BIG = "photo.too_big"


class ReadMeterPhoto:
    def __init__(
        self,
        transactions: Transactions,
        meters: MeterRepository,
        readings: ReadingRepository,
        photos: PhotoStore,
        images: EvidenceImages,
        reader: MeterReader,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._meters = meters
        self._readings = readings
        self._photos = photos
        self._images = images
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
        try:
            image = await self._images.clean(request.image)
        except NotAnImage:
            image = None
        async with self._transactions(write=True) as tx:
            found = await self._meters.contexts(
                [request.meter_id], lock=False, resident_id=actor.resident_id
            )
            if not found or (actor.kind is ActorKind.RESIDENT and not found[0].linked):
                raise DomainError.of("meter.not_found")
            context = found[0]
            if image is None:
                return PhotoReading(None, context.meter.digits, ReadFailure.NOT_A_PHOTO)
            now = self._clock.now()
            local = now.astimezone(ZoneInfo(context.supplier.window.timezone))
            period = BillingPeriod(local.year, local.month)
            rows = await self._readings.history(request.meter_id, period.shift(-HISTORY_MONTHS))
            kept = NewPhoto(
                request.meter_id,
                request.register,
                context.supplier.id,
                period,
                actor.channel.value,
                actor.resident_id,
                image,
                now,
            )
            photo_id = await self._photos.add(kept)
            await tx.commit()
        meter = context.meter
        if not self._reader.available:
            return PhotoReading(None, meter.digits, ReadFailure.UNAVAILABLE, photo_id)
        read: MeterRead = await self._reader.read(image.content, meter.digits, meter.decimals)
        if read.value is not None:
            async with self._transactions(write=True) as tx:
                await self._photos.set_read_value(photo_id, read.value)
                await tx.commit()
        if read.value is None:
            failure = read.failure or ReadFailure.UNREADABLE
            return PhotoReading(None, meter.digits, failure, photo_id)
        history = [
            PastValue(r.period, r.value)
            for r in rows
            if r.register == request.register and r.status is ReadingStatus.ACCEPTED
        ]
        if photo_read_violations(meter, request.register, read.value, period, history):
            return PhotoReading(None, meter.digits, ReadFailure.CHECK_FAILED, photo_id)
        return PhotoReading(read.value, meter.digits, None, photo_id)
