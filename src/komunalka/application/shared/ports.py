"""Ports several features use. Each feature adds what it shares in a block of its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from komunalka.application.shared.actors import Actor
from komunalka.domain.meters import Account, Meter, Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading

# --- readings: meters, their readings and the audit log ------------------------------------


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

    async def history(self, meter_id: int, since: BillingPeriod) -> list[Reading]:
        """Every reading of the meter from `since` on (superseded ones too), oldest first."""
        ...


class AuditLog(Protocol):
    """Who did what to which subject, and when; written in the transaction of the change."""

    async def record(
        self, actor: Actor, action: str, subject: str, details: Mapping[str, object], at: datetime
    ) -> None: ...


# --- end of readings' block ---------------------------------------------------------------
