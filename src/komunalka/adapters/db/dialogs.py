"""Dialog state in the database: the embedded default (Redis takes over in production).

On PostgreSQL each call is one fixed statement on the asyncpg connection, in autocommit (one
round trip, no BEGIN/COMMIT); on SQLite, SQLAlchemy Core in a short transaction.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from komunalka.adapters.db.rows import dialect_insert
from komunalka.adapters.db.tables import deliveries, dialog_states

log = logging.getLogger(__name__)
_LOAD = "SELECT state FROM dialog_states WHERE channel = $1 AND external_id = $2"
_SAVE = """
    INSERT INTO dialog_states (channel, external_id, state, updated_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (channel, external_id) DO UPDATE SET state = $3, updated_at = $4
"""
# The delivery's record commits with the statement: a concurrent twin waits on its key and
# then finds it taken. The state is read in the same statement.
_RECEIVE = """
    WITH fresh AS (
        INSERT INTO deliveries (channel, delivery_id, at) VALUES ($1, $3, $4)
        ON CONFLICT DO NOTHING RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM fresh),
           (SELECT state FROM dialog_states WHERE channel = $1 AND external_id = $2)
"""


class SqlDialogStateStore:
    """Each call is its own short transaction: a conversation step never holds a connection
    while the user types."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    async def load(self, channel: str, external_id: str) -> dict[str, Any] | None:
        async with self._engine.connect() as conn:
            if self._postgres:
                found = await _raw(conn).fetchval(_LOAD, channel, external_id)
            else:
                found = await _load(conn, channel, external_id)
        return _state(found)

    async def save(self, channel: str, external_id: str, state: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        text = json.dumps(state, ensure_ascii=False)
        if self._postgres:
            async with self._engine.connect() as conn:
                await _raw(conn).execute(_SAVE, channel, external_id, text, now)
            return
        async with self._engine.begin() as conn:
            stmt = dialect_insert(conn, dialog_states).values(
                channel=channel, external_id=external_id, state=text, updated_at=now
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["channel", "external_id"],
                set_={"state": text, "updated_at": now},
            )
            await conn.execute(stmt)

    async def receive(
        self, channel: str, external_id: str, delivery_id: str
    ) -> tuple[bool, dict[str, Any] | None]:
        now = datetime.now(UTC)
        if self._postgres:
            async with self._engine.connect() as conn:
                row = await _raw(conn).fetchrow(_RECEIVE, channel, external_id, delivery_id, now)
            first, found = row[0], row[1]
        else:
            async with self._engine.begin() as conn:
                stmt = dialect_insert(conn, deliveries).values(
                    channel=channel, delivery_id=delivery_id, at=now
                )
                first = bool((await conn.execute(stmt.on_conflict_do_nothing())).rowcount)
                found = await _load(conn, channel, external_id) if first else None
        if not first:
            return False, None
        return True, _state(found)


def _state(found: str | None) -> dict[str, Any] | None:
    """The stored state; a text that is not a JSON object (a corrupt row) is no state, so the
    conversation starts afresh instead of failing on every turn."""
    if not found:
        return None
    try:
        state = json.loads(found)
    except ValueError:
        state = None
    if not isinstance(state, dict):
        log.warning("dialog state: not a JSON object, ignored")
        return None
    return state


async def _load(conn: AsyncConnection, channel: str, external_id: str) -> str | None:
    query = select(dialog_states.c.state).where(
        dialog_states.c.channel == channel, dialog_states.c.external_id == external_id
    )
    found: str | None = (await conn.execute(query)).scalar()
    return found


def _raw(conn: AsyncConnection) -> Any:
    """The asyncpg connection under a checked-out SQLAlchemy one (the engine runs PostgreSQL in
    driver-level autocommit, see engine.py)."""
    return conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
