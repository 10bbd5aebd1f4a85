"""The ports of a supplier's feed (ADR 0017): its items in a stable order, its head, and the
webhook messages that push it. Implemented by adapters/db/feed.py and adapters/db/webhooks.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, Protocol


@dataclass(frozen=True, slots=True)
class FeedHead:
    """Where a supplier's feed stands: `position` is the last position given (positions are 1,
    2, 3, … without gaps), `acked` the last the supplier confirmed it stored."""

    position: int = 0
    acked: int = 0
    acked_at: datetime | None = None
    fetched_at: datetime | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None


class FeedItem(NamedTuple):
    """One item: an accepted reading, or a correction naming the receipt it replaces."""

    position: int
    receipt: str
    replaces: str | None
    account: str
    serial: str
    service: str
    register: str
    period: str
    # exact, with the meter's decimals
    value: Decimal
    # UTC, to the second: ``YYYY-MM-DD HH:MM:SS``
    submitted_at_utc: str
    channel: str


@dataclass(frozen=True, slots=True)
class PeriodDelivery:
    """A period's items: all of them, those delivered (acknowledged, or in a webhook batch that
    got a 2xx) and the rest, waiting."""

    period: int
    accepted: int
    delivered: int

    @property
    def waiting(self) -> int:
        return self.accepted - self.delivered


class SupplierFeed(Protocol):
    """A supplier's feed. Items are written with their readings (the submission repositories);
    this port gives them positions and reads them."""

    async def sequence(self, supplier_id: int) -> FeedHead:
        """Gives the items without a position the next positions, in the order they were
        written, under the lock of the supplier's head (held until the transaction ends, so
        positions become visible only in increasing order); returns the head. Needs a write
        transaction."""
        ...

    async def head(self, supplier_id: int) -> FeedHead: ...

    async def waiting_suppliers(self) -> list[int]:
        """Suppliers with items not yet given a position."""
        ...

    def items(
        self, supplier_id: int, after: int, through: int
    ) -> AsyncIterator[Sequence[FeedItem]]:
        """Items with `after < position <= through`, in order, a chunk at a time."""
        ...

    async def fetched(self, supplier_id: int, at: datetime) -> None: ...

    async def ack(self, supplier_id: int, position: int, at: datetime) -> None: ...

    async def deliveries(self, supplier_id: int, periods: int) -> list[PeriodDelivery]:
        """The last `periods` periods with items, newest first."""
        ...
