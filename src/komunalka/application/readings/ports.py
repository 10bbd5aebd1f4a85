"""The ports the readings feature owns: submissions (the hot path's snapshot and checked save),
published pictures, and the narrow reads its use cases make of other features' storage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import MeterContext
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading
from komunalka.domain.tariffs import Tariff


@dataclass(frozen=True, slots=True)
class Claim:
    submission_id: int
    is_new: bool
    fingerprint: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SubmissionSnapshot:
    """What a submission is judged against: the earlier submission under its client key, if
    any, and its meters with their recent history and revisions."""

    earlier: Claim | None
    contexts: list[MeterContext]


@dataclass(frozen=True, slots=True)
class NewSubmission:
    actor: Actor
    client_key: str | None
    fingerprint: str
    at: datetime
    # The readings to add; the store sets their submission id.
    readings: Sequence[Reading]
    # Accepted readings these replace (corrections), now superseded.
    superseded: Sequence[int]
    # Each meter's revision in the snapshot the readings were judged against.
    revisions: Mapping[int, int]


class SubmissionRepository(Protocol):
    async def snapshot(
        self,
        actor: Actor,
        client_key: str | None,
        meter_ids: Sequence[int],
        since: BillingPeriod,
        *,
        hold: bool,
    ) -> SubmissionSnapshot:
        """The earlier submission under `client_key`, and the meters with their accepted
        readings from `since` on (their links checked against the actor's resident). `hold`
        (in a transaction) keeps the meters, locked in id order, until it ends."""
        ...

    async def save(self, new: NewSubmission) -> Claim | None:
        """All of it or nothing, in one step: the submission, its audit entry (action
        ``readings.submit``, subject ``submission:<id>``), its readings, the superseded ones, and
        every meter's revision moved on. Returns the new claim; the earlier one, with nothing
        written, when the client key was used already (a concurrent first use is waited for);
        None, with nothing written, when a meter is no longer at the snapshot's revision."""
        ...


class MediaRepository(Protocol):
    async def add(self, token: str, content: bytes, content_type: str, at: datetime) -> None: ...
    async def get(self, token: str, since: datetime) -> tuple[bytes, str] | None: ...
    async def forget_before(self, before: datetime) -> None: ...


class WaterHeaters(Protocol):
    """Marks a meter as feeding an electric water heater, or not (the caller checks the rule)."""

    async def set_water_heater(self, meter_id: int, water_heater: bool) -> None: ...


class SupplierTariffs(Protocol):
    """A supplier's tariffs (the suppliers feature's storage, read here)."""

    async def of_supplier(self, supplier_id: int) -> list[Tariff]: ...


def unique(items: Iterable[int]) -> list[int]:
    return sorted(set(items))
