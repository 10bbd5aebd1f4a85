"""The notifications feature's repository: the outbox, on SQLAlchemy Core."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import outbox
from komunalka.application.shared.ports import OutgoingMessage


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

    async def unsent(self, limit: int) -> list[tuple[int, OutgoingMessage]]:
        query = select(outbox).where(outbox.c.sent_at.is_(None)).order_by(outbox.c.id).limit(limit)
        rows = (await self._conn.execute(query)).all()
        return [(r.id, OutgoingMessage(r.channel, r.recipient, r.subject, r.body)) for r in rows]

    async def mark_sent(self, message_id: int, at: datetime) -> None:
        await self._conn.execute(update(outbox).where(outbox.c.id == message_id).values(sent_at=at))
