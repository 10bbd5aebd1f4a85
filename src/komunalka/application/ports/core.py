"""The core's ports not yet moved into their features: meters, readings, submissions, media,
tariffs, the registry, bulk queries, dialog states, charts."""

from __future__ import annotations

from collections.abc import (
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from komunalka.application.shared.actors import Actor
from komunalka.domain.meters import Account, Meter, Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading
from komunalka.domain.tariffs import Tariff


@dataclass(frozen=True, slots=True)
class MeterContext:
    """A meter with what a submission needs to judge it: its supplier and account."""

    meter: Meter
    account: Account
    supplier: Supplier
    # Whether the resident the request is for has linked the meter's account.
    linked: bool = False
    # Accepted readings by register, oldest first (filled by a submission's snapshot only).
    history: Mapping[str, Sequence[Reading]] = field(default_factory=dict)
    # Moves on with every change to the meter's readings: a submission judged against one
    # revision is written only while the meter is still at it.
    revision: int = 0


class MeterRepository(Protocol):
    async def contexts(
        self, meter_ids: Sequence[int], *, lock: bool, resident_id: int | None = None
    ) -> list[MeterContext]:
        """The meters with their accounts, suppliers and whether `resident_id` linked them;
        `lock` holds them until commit."""
        ...

    async def of_accounts(self, account_ids: Sequence[int]) -> list[Meter]: ...
    async def by_serials(self, supplier_id: int, serials: Sequence[str]) -> list[Meter]: ...


class ReadingRepository(Protocol):
    async def recent(
        self, meter_ids: Sequence[int], since: BillingPeriod
    ) -> dict[tuple[int, str], list[Reading]]:
        """Accepted readings since a period, by (meter, register), oldest first."""
        ...

    async def add(self, readings: Sequence[Reading]) -> None: ...
    async def of_submission(self, submission_id: int) -> list[Reading]: ...
    async def by_receipt(self, receipt: str) -> Reading | None: ...
    async def history(self, meter_id: int, since: BillingPeriod) -> list[Reading]: ...


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


class DialogStateStore(Protocol):
    """Where each conversation stands: a JSON-able dict per channel and user. In the database by
    default; in Redis in production (a separate adapter, no unit of work)."""

    async def load(self, channel: str, external_id: str) -> dict[str, Any] | None: ...
    async def save(self, channel: str, external_id: str, state: dict[str, Any]) -> None: ...

    async def receive(
        self, channel: str, external_id: str, delivery_id: str
    ) -> tuple[bool, dict[str, Any] | None]:
        """Records a delivery (a messenger's id of an update) and loads the user's state, in one
        step: (False, None) when that delivery was recorded before, a repeat not to act on.

        The record is made (as durably as the store keeps anything) before this returns, and of
        two concurrent calls with one id only one is told it is the first."""
        ...


class MediaRepository(Protocol):
    async def add(self, token: str, content: bytes, content_type: str, at: datetime) -> None: ...
    async def get(self, token: str, since: datetime) -> tuple[bytes, str] | None: ...
    async def forget_before(self, before: datetime) -> None: ...


class ChartRenderer(Protocol):
    def consumption_chart(
        self, title: str, labels: Sequence[str], values: Sequence[float], unit: str
    ) -> bytes:
        """A bar chart of use per period, as PNG bytes."""
        ...


class TariffRepository(Protocol):
    async def of_supplier(self, supplier_id: int) -> list[Tariff]: ...
    async def add(self, tariff: Tariff) -> None: ...


def unique(items: Iterable[int]) -> list[int]:
    return sorted(set(items))
