"""Dialog state in the database: the embedded default (Redis takes over in production)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.db.rows import dialect_insert
from komunalka.adapters.db.tables import dialog_states


class SqlDialogStateStore:
    """Each load and save is its own short transaction: a conversation step never holds a
    connection while the user types."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def load(self, channel: str, external_id: str) -> dict[str, Any] | None:
        query = select(dialog_states.c.state).where(
            dialog_states.c.channel == channel, dialog_states.c.external_id == external_id
        )
        async with self._engine.connect() as conn:
            found = (await conn.execute(query)).scalar()
        return json.loads(found) if found else None

    async def save(self, channel: str, external_id: str, state: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        text = json.dumps(state, ensure_ascii=False)
        async with self._engine.begin() as conn:
            stmt = dialect_insert(conn, dialog_states).values(
                channel=channel, external_id=external_id, state=text, updated_at=now
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["channel", "external_id"],
                set_={"state": text, "updated_at": now},
            )
            await conn.execute(stmt)
