"""The notifications feature's repository: the outbox, on SQLAlchemy Core, with a lease per
message so that several workers can send at once (ADR 0012).

Claiming locks the rows it takes: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent
claimers pass each other's rows by; on SQLite the caller's write transaction (BEGIN IMMEDIATE)
already serializes claimers, and the clause is left out."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, insert, or_, select, update

from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import outbox
from komunalka.application.shared.ports import ClaimedMessage, OutboxClaim, OutgoingMessage

WAITING, SENDING, SENT, FAILED, UNKNOWN = "waiting", "sending", "sent", "failed", "unknown"


class SqlOutbox(InScope):
    async def add(self, message: OutgoingMessage, at: datetime) -> None:
        values = {
            "channel": message.channel,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
            "created_at": at,
        }
        await self._conn.execute(insert(outbox).values(values))

    async def claim(self, worker: str, limit: int, now: datetime, lease: timedelta) -> OutboxClaim:
        lapsed = and_(outbox.c.state == SENDING, outbox.c.lease_until <= now)
        unknown = await self._conn.execute(
            update(outbox).where(lapsed).values(state=UNKNOWN, claimed_by=None)
        )
        free = or_(outbox.c.lease_until.is_(None), outbox.c.lease_until <= now)
        query = (
            select(outbox.c.id, outbox.c.channel, outbox.c.recipient, outbox.c.subject)
            .add_columns(outbox.c.body, outbox.c.attempts)
            .where(outbox.c.state == WAITING, free)
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = (await self._conn.execute(query)).all()
        if rows:
            ids = [r.id for r in rows]
            await self._conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids))
                .values(claimed_by=worker, lease_until=now + lease)
            )
        messages = [
            ClaimedMessage(
                r.id, OutgoingMessage(r.channel, r.recipient, r.subject, r.body), r.attempts
            )
            for r in rows
        ]
        return OutboxClaim(messages, unknown.rowcount)

    async def begin_attempt(
        self, message_id: int, worker: str, now: datetime, until: datetime
    ) -> bool:
        ours = and_(
            outbox.c.id == message_id,
            outbox.c.state == WAITING,
            outbox.c.claimed_by == worker,
            outbox.c.lease_until > now,
        )
        done = await self._conn.execute(
            update(outbox)
            .where(ours)
            .values(state=SENDING, attempts=outbox.c.attempts + 1, lease_until=until)
        )
        return bool(done.rowcount == 1)

    async def mark_sent(self, message_id: int, at: datetime) -> None:
        await self._conn.execute(
            update(outbox)
            .where(outbox.c.id == message_id)
            .values(state=SENT, sent_at=at, claimed_by=None, lease_until=None)
        )

    async def mark_failed(self, message_id: int, error: str, retry_at: datetime | None) -> None:
        state = FAILED if retry_at is None else WAITING
        # Only the attempt's own outcome: a message counted unknown meanwhile stays unknown.
        await self._conn.execute(
            update(outbox)
            .where(outbox.c.id == message_id, outbox.c.state == SENDING)
            .values(state=state, claimed_by=None, lease_until=retry_at, last_error=error[:2000])
        )
