"""Webhook messages and each supplier's webhook, on SQLAlchemy Core (ADR 0017)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, insert, or_, select, update

from komunalka.adapters.db.feed import SqlSupplierFeed
from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import feed_heads, webhook_batches
from komunalka.application.suppliers.feed_ports import WebhookBatch

FEED_EVENT = "readings.changes"
_COLUMNS = (
    webhook_batches.c.id,
    webhook_batches.c.supplier_id,
    webhook_batches.c.event_id,
    webhook_batches.c.event_type,
    webhook_batches.c.first_position,
    webhook_batches.c.last_position,
    webhook_batches.c.payload,
    webhook_batches.c.created_at,
    webhook_batches.c.give_up_at,
    webhook_batches.c.state,
    webhook_batches.c.attempts,
    webhook_batches.c.last_error,
    webhook_batches.c.delivered_at,
)


def new_event_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def batch_of(row: Any, url: str | None = None, secret: str | None = None) -> WebhookBatch:
    batch = WebhookBatch(*row[:13])
    return replace(batch, url=url, secret=secret) if url or secret else batch


class SqlWebhookBook(InScope):
    async def set_webhook(self, supplier_id: int, url: str | None, secret: str | None) -> None:
        await SqlSupplierFeed().ensure_head(supplier_id)
        values: dict[str, Any] = {"webhook_url": url}
        if secret is not None:
            values["webhook_secret"] = secret
        if url is None:
            values["webhook_secret"] = None
        else:  # what the supplier acknowledged by pulling is not pushed again
            batched = feed_heads.c.batched
            acked = feed_heads.c.acked
            values["batched"] = case((batched < acked, acked), else_=batched)
        stmt = update(feed_heads).where(feed_heads.c.supplier_id == supplier_id)
        await self._conn.execute(stmt.values(**values))

    async def hooked_suppliers(self) -> list[int]:
        query = select(feed_heads.c.supplier_id).where(
            feed_heads.c.webhook_url.is_not(None), feed_heads.c.webhook_secret.is_not(None)
        )
        return sorted(r[0] for r in await self._conn.execute(query))

    async def cut_batches(
        self, supplier_id: int, through: int, size: int, at: datetime, give_up_at: datetime
    ) -> int:
        query = select(feed_heads.c.batched).where(feed_heads.c.supplier_id == supplier_id)
        batched = (await self._conn.execute(query.with_for_update())).scalar_one()
        rows = []
        for first in range(batched + 1, through + 1, size):
            rows.append(
                self._row(supplier_id, FEED_EVENT, at, give_up_at)
                | {"first_position": first, "last_position": min(first + size - 1, through)}
            )
        if not rows:
            return 0
        await self._conn.execute(insert(webhook_batches), rows)
        stmt = update(feed_heads).where(feed_heads.c.supplier_id == supplier_id)
        await self._conn.execute(stmt.values(batched=through))
        return len(rows)

    async def enqueue(
        self, supplier_id: int, event_type: str, data: str, at: datetime, give_up_at: datetime
    ) -> str | None:
        if supplier_id not in await self.hooked_suppliers():
            return None
        row = self._row(supplier_id, event_type, at, give_up_at) | {"payload": data}
        await self._conn.execute(insert(webhook_batches).values(row))
        return str(row["event_id"])

    async def claim(
        self, worker: str, limit: int, now: datetime, lease_until: datetime
    ) -> list[WebhookBatch]:
        b = webhook_batches
        due = or_(
            and_(b.c.state == "waiting", b.c.next_at <= now),
            and_(b.c.state == "sending", b.c.lease_until < now),
        )
        query = select(b.c.id).where(due).order_by(b.c.next_at, b.c.id).limit(limit)
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = [r[0] for r in await self._conn.execute(query)]
        if not ids:
            return []
        claim = update(b).where(b.c.id.in_(ids), due)
        await self._conn.execute(
            claim.values(
                state="sending",
                lease_until=lease_until,
                attempts=b.c.attempts + 1,
                claimed_by=worker,
            )
        )
        query = (
            select(*_COLUMNS, feed_heads.c.webhook_url, feed_heads.c.webhook_secret)
            .join(feed_heads, feed_heads.c.supplier_id == b.c.supplier_id)
            .where(b.c.id.in_(ids), b.c.state == "sending", b.c.claimed_by == worker)
            .where(b.c.lease_until == lease_until)
            .order_by(b.c.id)
        )
        return [batch_of(r, r[13], r[14]) for r in await self._conn.execute(query)]

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
        b = webhook_batches
        values: dict[str, Any] = {"state": state, "lease_until": None, "last_error": error}
        if state == "delivered":
            values["delivered_at"] = at
        if next_at is not None:
            values["next_at"] = next_at
        stmt = update(b).where(b.c.id == batch_id, b.c.state == "sending", b.c.claimed_by == worker)
        done = await self._conn.execute(stmt.values(**values))
        return bool(done.rowcount)

    async def batches(self, supplier_id: int, state: str, limit: int) -> list[WebhookBatch]:
        b = webhook_batches
        query = (
            select(*_COLUMNS)
            .where(b.c.supplier_id == supplier_id, b.c.state == state)
            .order_by(b.c.id.desc())
            .limit(limit)
        )
        return [batch_of(r) for r in await self._conn.execute(query)]

    async def resend(
        self, supplier_id: int, batch_id: int, at: datetime, give_up_at: datetime
    ) -> bool:
        b = webhook_batches
        stmt = update(b).where(
            b.c.id == batch_id, b.c.supplier_id == supplier_id, b.c.state == "failed"
        )
        done = await self._conn.execute(
            stmt.values(state="waiting", attempts=0, next_at=at, give_up_at=give_up_at)
        )
        return bool(done.rowcount)

    @staticmethod
    def _row(
        supplier_id: int, event_type: str, at: datetime, give_up_at: datetime
    ) -> dict[str, Any]:
        return {
            "supplier_id": supplier_id,
            "event_id": new_event_id(),
            "event_type": event_type,
            "created_at": at,
            "give_up_at": give_up_at,
            "state": "waiting",
            "next_at": at,
        }
