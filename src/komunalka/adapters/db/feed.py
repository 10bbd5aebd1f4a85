"""A supplier's feed on SQLAlchemy Core, the same on SQLite and PostgreSQL (ADR 0017).

Items are written by the submission repositories with their readings, without a position. The
sequencer gives positions under the lock of the supplier's head row (`SELECT … FOR UPDATE` on
PostgreSQL; SQLite's write transaction holds the whole database): one sequencer at a time per
supplier, each seeing every item committed before it took the lock, each numbering from the
head the one before left. So positions are 1, 2, 3, … without gaps, and a reader never sees a
position before every lower one is visible."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import aliased

from komunalka.adapters.db.rows import dialect_insert
from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import feed_heads, feed_items, meters, readings
from komunalka.application.suppliers.feed_ports import FeedHead, FeedItem, PeriodDelivery
from komunalka.application.suppliers.ports import Sink
from komunalka.application.suppliers.read_changes import write_items
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.values import format_value, from_milli

CHUNK = 5_000

_NUMBER = text(
    """
    UPDATE feed_items SET position = :head + q.n
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS n
          FROM feed_items WHERE supplier_id = :supplier AND position IS NULL) AS q
    WHERE feed_items.id = q.id
    """
)
_DELIVERIES = text(
    """
    SELECT f.period, count(*) AS accepted,
           sum(CASE WHEN f.position IS NOT NULL AND (
                   f.position <= :acked OR EXISTS (
                     SELECT 1 FROM webhook_batches b
                     WHERE b.supplier_id = f.supplier_id AND b.state = 'delivered'
                       AND b.first_position IS NOT NULL
                       AND f.position BETWEEN b.first_position AND b.last_position))
               THEN 1 ELSE 0 END) AS delivered
    FROM feed_items f
    WHERE f.supplier_id = :supplier
    GROUP BY f.period ORDER BY f.period DESC LIMIT :periods
    """
)
# The items as read_changes.feed_item_json writes them, by PostgreSQL, a chunk a row: the same
# text, without a Python object per item (docs/BENCHMARKS.md, the changes feed).
_PG_JSON = """
    SELECT string_agg(
      '{"seq": ' || f.position
      || ', "kind": ' || CASE WHEN f.replaces_id IS NULL THEN '"reading"' ELSE '"correction"' END
      || ', "receipt": ' || to_json(coalesce(r.receipt, ''))::text
      || ', "replaces": ' || coalesce(to_json(o.receipt)::text, 'null')
      || ', "account": ' || to_json(m.account_number)::text
      || ', "serial": ' || to_json(m.serial)::text
      || ', "service": "' || m.service || '", "register": "' || r.register
      || '", "period": "' || (r.period / 12) || '-' || lpad((r.period % 12 + 1)::text, 2, '0')
      || '", "value": ' || round(r.value_milli::numeric / 1000, m.decimals)
      || ', "submitted_at_utc": "'
      || to_char(r.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
      || '", "channel": "' || r.channel || '"}',
      E',\n' ORDER BY f.position)
    FROM feed_items f
    JOIN readings r ON r.id = f.reading_id
    JOIN meters m ON m.id = r.meter_id
    LEFT JOIN readings o ON o.id = f.replaces_id
    WHERE f.supplier_id = $1 AND f.position > $2 AND f.position <= $3
"""
_HEAD = (
    feed_heads.c.position,
    feed_heads.c.acked,
    feed_heads.c.acked_at,
    feed_heads.c.fetched_at,
    feed_heads.c.webhook_url,
    feed_heads.c.webhook_secret,
)


def head_of(row: Any) -> FeedHead:
    return FeedHead(row[0], row[1], row[2], row[3], row[4], row[5]) if row else FeedHead()


class SqlSupplierFeed(InScope):
    async def sequence(self, supplier_id: int) -> FeedHead:
        await self.ensure_head(supplier_id)
        query = select(*_HEAD).where(feed_heads.c.supplier_id == supplier_id).with_for_update()
        head = head_of((await self._conn.execute(query)).one())
        done = await self._conn.execute(_NUMBER, {"head": head.position, "supplier": supplier_id})
        if not done.rowcount:
            return head
        position = head.position + done.rowcount
        await self._set(supplier_id, position=position)
        return FeedHead(position, *_rest(head))

    async def ensure_head(self, supplier_id: int) -> None:
        stmt = dialect_insert(self._conn, feed_heads).values(supplier_id=supplier_id)
        await self._conn.execute(stmt.on_conflict_do_nothing(index_elements=["supplier_id"]))

    async def head(self, supplier_id: int) -> FeedHead:
        query = select(*_HEAD).where(feed_heads.c.supplier_id == supplier_id)
        return head_of((await self._conn.execute(query)).first())

    async def waiting_suppliers(self) -> list[int]:
        query = select(feed_items.c.supplier_id).where(feed_items.c.position.is_(None)).distinct()
        return sorted(r[0] for r in await self._conn.execute(query))

    async def items(
        self, supplier_id: int, after: int, through: int
    ) -> AsyncIterator[Sequence[FeedItem]]:
        old = aliased(readings)
        query = (
            select(
                feed_items.c.position,
                readings.c.receipt,
                old.c.receipt,
                meters.c.account_number,
                meters.c.serial,
                meters.c.service,
                readings.c.register,
                readings.c.period,
                readings.c.value_milli,
                meters.c.decimals,
                readings.c.submitted_at,
                readings.c.channel,
            )
            .select_from(feed_items)
            .join(readings, readings.c.id == feed_items.c.reading_id)
            .join(meters, meters.c.id == readings.c.meter_id)
            .outerjoin(old, old.c.id == feed_items.c.replaces_id)
            .where(
                feed_items.c.supplier_id == supplier_id,
                feed_items.c.position > after,
                feed_items.c.position <= through,
            )
            .order_by(feed_items.c.position)
        )
        result = await self._conn.stream(query)
        periods: dict[int, str] = {}
        async for rows in result.partitions(CHUNK):
            chunk = []
            for r in rows:
                period = periods.get(r[7])
                if period is None:
                    period = periods[r[7]] = str(BillingPeriod.from_index(r[7]))
                chunk.append(
                    FeedItem(
                        r[0],
                        r[1] or "",
                        r[2],
                        r[3],
                        r[4],
                        r[5],
                        r[6],
                        period,
                        Decimal(format_value(from_milli(r[8]), r[9])),
                        r[10].strftime("%Y-%m-%d %H:%M:%S"),
                        r[11],
                    )
                )
            yield chunk

    async def write_json(self, supplier_id: int, after: int, through: int, sink: Sink) -> None:
        if self._conn.dialect.name != "postgresql":
            await write_items(self.items(supplier_id, after, through), sink)
            return
        first = True
        for start in range(after, through, CHUNK):
            end = min(start + CHUNK, through)
            text = await self._raw.fetchval(_PG_JSON, supplier_id, start, end)
            if text:
                await sink((b"\n" if first else b",\n") + text.encode())
                first = False

    async def fetched(self, supplier_id: int, at: datetime) -> None:
        await self._set(supplier_id, fetched_at=at)

    async def ack(self, supplier_id: int, position: int, at: datetime) -> None:
        await self._set(supplier_id, acked=position, acked_at=at)

    async def deliveries(self, supplier_id: int, periods: int) -> list[PeriodDelivery]:
        head = await self.head(supplier_id)
        params = {"supplier": supplier_id, "acked": head.acked, "periods": periods}
        rows = await self._conn.execute(_DELIVERIES, params)
        return [PeriodDelivery(r[0], r[1], int(r[2] or 0)) for r in rows]

    async def _set(self, supplier_id: int, **values: Any) -> None:
        stmt = update(feed_heads).where(feed_heads.c.supplier_id == supplier_id)
        await self._conn.execute(stmt.values(**values))


def _rest(head: FeedHead) -> tuple[Any, ...]:
    return (head.acked, head.acked_at, head.fetched_at, head.webhook_url, head.webhook_secret)
