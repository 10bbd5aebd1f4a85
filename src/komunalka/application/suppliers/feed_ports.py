"""The ports of a supplier's feed (ADR 0017): its items in a stable order, its head, and the
webhook messages that push it. Implemented by adapters/db/feed.py and adapters/db/webhooks.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

from komunalka.application.suppliers.ports import Sink


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

    async def write_json(self, supplier_id: int, after: int, through: int, sink: Sink) -> None:
        """The same items as JSON objects, as `read_changes.write_items` writes them (each
        after ``\\n`` or ``,\\n``), by the database where it can (PostgreSQL), else by
        `write_items`: the same text either way."""
        ...

    async def fetched(self, supplier_id: int, at: datetime) -> None: ...

    async def ack(self, supplier_id: int, position: int, at: datetime) -> None: ...

    async def deliveries(self, supplier_id: int, periods: int) -> list[PeriodDelivery]:
        """The last `periods` periods with items, newest first."""
        ...


@dataclass(frozen=True, slots=True)
class WebhookBatch:
    """A webhook message: the feed's positions `first..last` (a ``readings.changes`` batch) or
    another event with its own JSON `payload`. `event_id` is its ``webhook-id`` every time."""

    id: int
    supplier_id: int
    event_id: str
    event_type: str
    first_position: int | None
    last_position: int | None
    payload: str | None
    created_at: datetime
    give_up_at: datetime
    state: str
    attempts: int
    last_error: str | None = None
    delivered_at: datetime | None = None
    url: str | None = None
    secret: str | None = None

    @property
    def items(self) -> int:
        if self.first_position is None or self.last_position is None:
            return 0
        return self.last_position - self.first_position + 1


class WebhookEvents(Protocol):
    """The port other use cases name to announce something by webhook (``period.file_ready``):
    written in the caller's transaction, sent by the worker after it commits, signed and retried
    like the feed's batches."""

    async def enqueue(
        self, supplier_id: int, event_type: str, data: str, at: datetime, give_up_at: datetime
    ) -> str | None:
        """Queues an event whose ``data`` is a JSON text; its ``webhook-id``, or None when the
        supplier has no webhook (nothing is queued)."""
        ...


class WebhookBook(WebhookEvents, Protocol):
    """The webhook messages and each supplier's webhook."""

    async def set_webhook(self, supplier_id: int, url: str | None, secret: str | None) -> None:
        """Sets the URL (None: no webhook); a secret of None keeps the one there is."""
        ...

    async def hooked_suppliers(self) -> list[int]:
        """Suppliers with a webhook URL and secret."""
        ...

    async def cut_batches(
        self, supplier_id: int, through: int, size: int, at: datetime, give_up_at: datetime
    ) -> int:
        """Batches of at most `size` positions of what the last batch left up to `through`;
        how many were made."""
        ...

    async def claim(
        self, worker: str, limit: int, now: datetime, lease_until: datetime
    ) -> list[WebhookBatch]:
        """Due messages (waiting and due, or sending with a lapsed lease: the worker died, and
        the same ``webhook-id`` makes a second send harmless), each with its supplier's URL and
        secret, claimed by `worker` until `lease_until`, their attempt counted."""
        ...

    async def finish(
        self,
        batch_id: int,
        worker: str,
        *,
        state: str,
        at: datetime,
        error: str | None = None,
        next_at: datetime | None = None,
    ) -> bool:
        """Records an attempt's outcome (`delivered`, `waiting` again at `next_at`, `failed`)
        if the batch is still this worker's claim."""
        ...

    async def batches(self, supplier_id: int, state: str, limit: int) -> list[WebhookBatch]: ...

    async def resend(
        self, supplier_id: int, batch_id: int, at: datetime, give_up_at: datetime
    ) -> bool:
        """A failed batch of the supplier waits again (its attempts from zero)."""
        ...


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    """How an attempt went: `ok` for a 2xx; else what went wrong (a status, a timeout, a
    network error), to be shown to the supplier."""

    ok: bool
    error: str | None = None


class WebhookSender(Protocol):
    """Posts a signed message (Standard Webhooks: ``webhook-id``, ``webhook-timestamp``,
    ``webhook-signature``) and says how it went; never raises for the receiver's faults."""

    async def send(self, url: str, secret: str, event_id: str, body: bytes) -> WebhookAnswer: ...
