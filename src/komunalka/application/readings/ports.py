"""The ports the readings feature owns: submissions (the hot path's snapshot and checked save),
published pictures, and the narrow reads its use cases make of other features' storage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import MeterContext
from komunalka.domain.consumption import UnusualUse
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


@dataclass(frozen=True, slots=True)
class NewAlert:
    """A month's use far above the meter's usual, found in an accepted reading (`receipt`), to
    be told to the resident it was sent for; `via`: the channel it came by."""

    meter_id: int
    period: BillingPeriod
    resident_id: int
    receipt: str
    unusual: UnusualUse
    via: str
    at: datetime


class AlertQueue(Protocol):
    """Leak and anomaly notices waiting for the worker (ADR 0025), written in the transaction
    of the reading that raised them."""

    async def add(self, alerts: Sequence[NewAlert]) -> None:
        """One notice per meter, period and resident: a later reading of the same period
        replaces the figures and receipt of one not sent yet (waiting or withdrawn); one sent,
        confirmed or otherwise finished is kept as it is (nothing is said twice)."""
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
