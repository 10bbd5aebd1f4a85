"""The changes feed of the pull API: ReadChanges (items after a cursor, streamed), AckChanges
(what the supplier has stored) and ShowFeedDeliveries (the portal's view per period).

Who may call them: a supplier's pull-API token, staff of that supplier and administrators
(``managed_supplier``). Guarantees (ADR 0017): items come in the order of their positions, which
never change and become visible only in increasing order, so reading page after page from the
cursor each page returns sees every item exactly once, whatever commits meanwhile and whichever
process answers. A bad cursor, a limit out of range, an acknowledgement backwards or beyond the
end are refused and change nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from komunalka.application.shared.ports import Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.export_readings import from_sink
from komunalka.application.suppliers.feed_cursor import decode_cursor, encode_cursor
from komunalka.application.suppliers.feed_ports import (
    FeedHead,
    FeedItem,
    PeriodDelivery,
    SupplierFeed,
)
from komunalka.application.suppliers.ports import Sink, Suppliers
from komunalka.application.suppliers.supplier_access import Caller, managed_supplier
from komunalka.domain.errors import DomainError

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 1_000


@dataclass(frozen=True, slots=True)
class ChangesPage:
    """A page decided before it is read: positions after `after` through `through`."""

    supplier_id: int
    after: int
    through: int
    head: int
    cursor: str

    @property
    def count(self) -> int:
        return self.through - self.after

    @property
    def more(self) -> bool:
        return self.through < self.head


def feed_item_json(item: FeedItem) -> bytes:
    """One item as a JSON object; the value as a JSON number, digit for digit as stored."""
    replaces = json.dumps(item.replaces)
    kind = '"reading"' if item.replaces is None else '"correction"'
    return (
        f'{{"seq": {item.position}, "kind": {kind}, "receipt": {json.dumps(item.receipt)}, '
        f'"replaces": {replaces}, "account": {json.dumps(item.account, ensure_ascii=False)}, '
        f'"serial": {json.dumps(item.serial, ensure_ascii=False)}, '
        f'"service": "{item.service}", "register": "{item.register}", '
        f'"period": "{item.period}", "value": {item.value:f}, '
        f'"submitted_at_utc": "{item.submitted_at_utc}", "channel": "{item.channel}"}}'
    ).encode()


async def write_items(chunks: AsyncIterator[Sequence[FeedItem]], sink: Sink) -> None:
    """Items as the elements of a JSON array (without its brackets), chunk by chunk."""
    first = True
    async for chunk in chunks:
        if chunk:
            items = b",\n".join(feed_item_json(item) for item in chunk)
            await sink((b"\n" if first else b",\n") + items)
            first = False


class ReadChanges:
    def __init__(
        self, transactions: Transactions, suppliers: Suppliers, feed: SupplierFeed, clock: Clock
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._feed = feed
        self._clock = clock

    async def open(self, caller: Caller, after: str | None, limit: int) -> ChangesPage:
        """Decides the page (sequencing what waits and noting the fetch): refused with
        ``feed.bad_limit`` (1 to ``MAX_LIMIT``), ``feed.bad_cursor`` or
        ``feed.cursor_beyond_end`` before anything is written."""
        if not 1 <= limit <= MAX_LIMIT:
            raise DomainError.of("feed.bad_limit", max=MAX_LIMIT)
        async with self._transactions(write=True) as tx:
            supplier = await managed_supplier(self._suppliers, caller, None)
            start = decode_cursor(after, supplier.id) if after is not None else 0
            head = await self._feed.sequence(supplier.id)
            if start > head.position:
                raise DomainError.of("feed.cursor_beyond_end")
            await self._feed.fetched(supplier.id, self._clock.now())
            await tx.commit()
        through = min(start + limit, head.position)
        return ChangesPage(
            supplier.id, start, through, head.position, encode_cursor(supplier.id, through)
        )

    def stream(self, page: ChangesPage) -> AsyncIterator[bytes]:
        """The page as one JSON object, streamed: ``{"cursor", "more", "count", "items"}``."""
        return from_sink(lambda sink: self._write(page, sink))

    async def _write(self, page: ChangesPage, sink: Sink) -> None:
        more = "true" if page.more else "false"
        await sink(
            f'{{"cursor": "{page.cursor}", "more": {more}, "count": {page.count}, '
            f'"items": ['.encode()
        )
        if page.count:
            async with self._transactions():
                await self._feed.write_json(page.supplier_id, page.after, page.through, sink)
        await sink(b"\n]}\n")


@dataclass(frozen=True, slots=True)
class Acknowledged:
    acked: int
    head: int
    cursor: str


class AckChanges:
    def __init__(
        self, transactions: Transactions, suppliers: Suppliers, feed: SupplierFeed, clock: Clock
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._feed = feed
        self._clock = clock

    async def __call__(self, caller: Caller, cursor: str) -> Acknowledged:
        """Records that the supplier stored every item up to the cursor. The same cursor again
        is fine; one before the last acknowledged is ``feed.ack_backwards``, one past the
        feed's end ``feed.ack_beyond_end``."""
        async with self._transactions(write=True) as tx:
            supplier = await managed_supplier(self._suppliers, caller, None)
            position = decode_cursor(cursor, supplier.id)
            head = await self._feed.sequence(supplier.id)
            if position > head.position:
                raise DomainError.of("feed.ack_beyond_end")
            if position < head.acked:
                raise DomainError.of("feed.ack_backwards")
            if position > head.acked:
                await self._feed.ack(supplier.id, position, self._clock.now())
            await tx.commit()
        return Acknowledged(position, head.position, encode_cursor(supplier.id, position))


@dataclass(frozen=True, slots=True)
class FeedDeliveries:
    head: FeedHead
    periods: list[PeriodDelivery]
    last_fetched: datetime | None


class ShowFeedDeliveries:
    def __init__(self, transactions: Transactions, suppliers: Suppliers, feed: SupplierFeed):
        self._transactions = transactions
        self._suppliers = suppliers
        self._feed = feed

    async def __call__(self, caller: Caller, code: str | None, periods: int = 12) -> FeedDeliveries:
        """Per period (newest first): accepted, delivered, waiting; and the last fetch."""
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            head = await self._feed.head(supplier.id)
            rows = await self._feed.deliveries(supplier.id, periods)
        return FeedDeliveries(head, rows, head.fetched_at)
