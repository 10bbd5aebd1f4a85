"""Photos of meters kept as evidence of a reading (suppliers ask for one after a verification).

Who calls what: `ReadMeterPhoto` keeps every photo a resident or an operator sends for a meter,
before reading it; staff of the meter's supplier and operators list and open them
(`MeterPhotos`); the worker forgets those older than their supplier's retention
(`ForgetExpiredPhotos`). What is kept: the picture re-encoded (EXIF, location and every other
metadata gone, turned upright, at most `MAX_SIDE` pixels a side) with its SHA-256, the meter and
zone, the period, the door, who sent it and what the reader read, if anything
(docs/adr/0027-meter-photos.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from komunalka.application.shared.ports import Clock, MeterRepository
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import Meter
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.staff import StaffMember

MAX_SIDE = 2000
MAX_PIXELS = 50_000_000  # decoding more is refused: a "decompression bomb", not a phone photo
DEFAULT_RETENTION_DAYS = 730
MAX_RETENTION_DAYS = 3650


class NotAnImage(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class CleanImage:
    content: bytes  # JPEG, no metadata
    width: int
    height: int
    sha256: str  # of `content`, hex


class EvidenceImages(Protocol):
    """Turns an upload into the picture kept: raises `NotAnImage` for anything else."""

    async def clean(self, upload: bytes) -> CleanImage: ...


@dataclass(frozen=True, slots=True)
class NewPhoto:
    meter_id: int
    register: str
    supplier_id: int
    period: BillingPeriod
    channel: str
    resident_id: int | None
    image: CleanImage
    received_at: datetime


@dataclass(frozen=True, slots=True)
class PhotoInfo:
    id: int
    meter_id: int
    register: str
    period: BillingPeriod
    channel: str
    read_value: int | None
    sha256: str
    size: int
    width: int
    height: int
    received_at: datetime


class PhotoStore(Protocol):
    async def add(self, photo: NewPhoto) -> int: ...
    async def set_read_value(self, photo_id: int, value: int | None) -> None: ...
    async def of_meter(self, meter_id: int) -> list[PhotoInfo]:
        """Newest first, without their content."""
        ...

    async def content(self, photo_id: int) -> tuple[int, bytes] | None:
        """The photo's meter and its JPEG."""
        ...

    async def retention(self) -> dict[int, int]:
        """Each supplier's retention in days, by supplier id."""
        ...

    async def set_retention(self, supplier_code: str, days: int) -> bool: ...
    async def forget(self, supplier_id: int, before: datetime) -> int: ...


class MeterPhotos:
    """A meter's photos for staff who may see its account (an operator in scope, the
    supplier's staff for their supplier's meters); for anyone else the photos do not exist."""

    def __init__(
        self, transactions: Transactions, meters: MeterRepository, photos: PhotoStore
    ) -> None:
        self._transactions = transactions
        self._meters = meters
        self._photos = photos

    async def list(self, staff: StaffMember, meter_id: int) -> tuple[Meter, list[PhotoInfo]]:
        async with self._transactions():
            meter = await self._check(staff, meter_id)
            return meter, await self._photos.of_meter(meter_id)

    async def open(self, staff: StaffMember, photo_id: int) -> bytes:
        async with self._transactions():
            found = await self._photos.content(photo_id)
            if found is None:
                raise DomainError.of("photo.not_found")
            await self._check(staff, found[0])
            return found[1]

    async def _check(self, staff: StaffMember, meter_id: int) -> Meter:
        found = await self._meters.contexts([meter_id], lock=False)
        if not found or not staff.can_see(found[0].account):
            raise DomainError.of("photo.not_found")
        return found[0].meter


@dataclass(frozen=True, slots=True)
class ForgetReport:
    forgotten: int = 0


class ForgetExpiredPhotos:
    """The worker's job: photos older than their supplier's retention are deleted."""

    def __init__(self, transactions: Transactions, photos: PhotoStore, clock: Clock) -> None:
        self._transactions = transactions
        self._photos = photos
        self._clock = clock

    async def __call__(self) -> ForgetReport:
        now = self._clock.now()
        forgotten = 0
        async with self._transactions(write=True) as tx:
            for supplier_id, days in (await self._photos.retention()).items():
                forgotten += await self._photos.forget(supplier_id, now - timedelta(days=days))
            await tx.commit()
        return ForgetReport(forgotten)


class SetPhotoRetention:
    """An admin sets how many days a supplier's meter photos are kept (1..3650)."""

    def __init__(self, transactions: Transactions, photos: PhotoStore) -> None:
        self._transactions = transactions
        self._photos = photos

    async def __call__(self, supplier_code: str, days: int) -> None:
        if not 1 <= days <= MAX_RETENTION_DAYS:
            raise DomainError.of("photo.bad_retention", most=MAX_RETENTION_DAYS)
        async with self._transactions(write=True) as tx:
            if not await self._photos.set_retention(supplier_code, days):
                raise DomainError.of("supplier.not_found")
            await tx.commit()
