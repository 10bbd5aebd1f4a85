"""CorrectReading: replace an accepted reading, named by its receipt, while its window is open
(or, for a reading sent early, from then on: the correction is held until the window opens too).

Who may call it: a resident for readings of linked accounts; staff and the system for any.
Guarantees: the same rules as a new reading (SubmitReadings does the work); the earlier reading
stays in history as superseded; a reading whose window has closed, or that was itself already
corrected, is not changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from komunalka.application.readings.submit_readings import (
    ReadingItem,
    SubmitReadings,
    SubmitReadingsRequest,
    SubmitReadingsResult,
)
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import Clock, MeterRepository, ReadingRepository
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.readings import ReadingStatus, looks_like_receipt


@dataclass(frozen=True, slots=True)
class CorrectReadingRequest:
    actor: Actor
    receipt: str
    value: str | int | Decimal
    confirm: frozenset[str] = frozenset()
    client_key: str | None = None


class CorrectReading:
    def __init__(
        self,
        transactions: Transactions,
        readings: ReadingRepository,
        meters: MeterRepository,
        clock: Clock,
        submit: SubmitReadings,
    ) -> None:
        self._transactions = transactions
        self._readings = readings
        self._meters = meters
        self._clock = clock
        self._submit = submit

    async def __call__(self, request: CorrectReadingRequest) -> SubmitReadingsResult:
        async with self._transactions():
            submission = await self._submission(request)
        return await self._submit(submission)

    async def within(self, request: CorrectReadingRequest) -> SubmitReadingsResult:
        """The correction inside the write transaction the caller has open (see
        `SubmitReadings.within`)."""
        return await self._submit.within(await self._submission(request))

    async def _submission(self, request: CorrectReadingRequest) -> SubmitReadingsRequest:
        """The submission that corrects the receipt's reading, read in the open transaction."""
        receipt = request.receipt.strip().upper()
        reading = await self._readings.by_receipt(receipt) if looks_like_receipt(receipt) else None
        found = await self._meters.contexts([reading.meter_id], lock=False) if reading else []
        if reading is None or not found:
            raise DomainError.of("reading.not_found", receipt=request.receipt)
        # A reading sent early may be corrected from then on: its period takes readings early.
        intake = found[0].supplier.window.intake_at(self._clock.now())
        if intake is None or intake.window.period != reading.period:
            raise DomainError.of("reading.correction_closed", period=str(reading.period))
        if reading.status is ReadingStatus.SUPERSEDED:
            raise DomainError.of("reading.already_corrected", receipt=receipt)
        item = ReadingItem(reading.meter_id, request.value, reading.register, request.confirm)
        return SubmitReadingsRequest(request.actor, [item], request.client_key, reading.period)
