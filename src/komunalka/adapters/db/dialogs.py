"""Dialog state in the database: the embedded default (Redis takes over in production).

On PostgreSQL each call is one fixed statement on the asyncpg connection, in autocommit (one
round trip, no BEGIN/COMMIT); on SQLite, SQLAlchemy Core in a short transaction.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from komunalka.adapters.db.engine import WRITE
from komunalka.adapters.db.rows import dialect_insert
from komunalka.adapters.db.tables import deliveries, dialog_states, identities
from komunalka.application.shared.ports import ACTED_ON, Arrival, Received

log = logging.getLogger(__name__)
# How long a turn may run before a redelivery of its update takes it over (ADR 0015).
LEASE = timedelta(seconds=60)
_LOAD = "SELECT state FROM dialog_states WHERE channel = $1 AND external_id = $2"
_SAVE = """
    INSERT INTO dialog_states (channel, external_id, state, updated_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (channel, external_id) DO UPDATE SET state = $3, updated_at = $4
"""
# The state and the delivery's end in one autocommitted statement: both or neither.
_SAVE_DONE = """
    WITH done AS (
        UPDATE deliveries SET lease_until = NULL WHERE channel = $1 AND delivery_id = $5
    )
    INSERT INTO dialog_states (channel, external_id, state, updated_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (channel, external_id) DO UPDATE SET state = $3, updated_at = $4
"""
# The delivery's record commits with the statement: a concurrent twin waits on its key, then
# finds it taken (its lease live) and gets no row. A record whose lease ran out is taken over
# (`xmax` is 0 only for a row this statement inserted). What the statement's snapshot shows of
# an existing record tells a finished turn from one under way; a twin committed meanwhile is
# not in it, and reads as under way. The state, and whether the user's identity is marked
# unreachable (so that the turn writes ReachableAgain only then), are read in the same statement.
_RECEIVE = """
    WITH claimed AS (
        INSERT INTO deliveries AS d (channel, delivery_id, at, lease_until)
        VALUES ($1, $3, $4, $5)
        ON CONFLICT (channel, delivery_id) DO UPDATE SET at = $4, lease_until = $5
            WHERE d.lease_until IS NOT NULL AND d.lease_until < $4
        RETURNING (xmax = 0) AS fresh
    )
    SELECT (SELECT fresh FROM claimed),
           (SELECT lease_until IS NULL FROM deliveries WHERE channel = $1 AND delivery_id = $3),
           (SELECT state FROM dialog_states WHERE channel = $1 AND external_id = $2),
           EXISTS (SELECT 1 FROM identities
                   WHERE channel = $1 AND external_id = $2 AND unreachable_at IS NOT NULL)
"""


class SqlDialogStateStore:
    """Each call is its own short transaction: a conversation step never holds a connection
    while the user types."""

    def __init__(self, engine: AsyncEngine, lease: timedelta = LEASE) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._lease = lease

    async def load(self, channel: str, external_id: str) -> dict[str, Any] | None:
        async with self._engine.connect() as conn:
            if self._postgres:
                found = await _raw(conn).fetchval(_LOAD, channel, external_id)
            else:
                found = await _load(conn, channel, external_id)
        return _state(found)

    async def save(
        self,
        channel: str,
        external_id: str,
        state: dict[str, Any],
        delivery_id: str | None = None,
    ) -> None:
        now = datetime.now(UTC)
        text = json.dumps(state, ensure_ascii=False)
        if self._postgres:
            async with self._engine.connect() as conn:
                raw = _raw(conn)
                if delivery_id is None:
                    await raw.execute(_SAVE, channel, external_id, text, now)
                else:
                    await raw.execute(_SAVE_DONE, channel, external_id, text, now, delivery_id)
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
            if delivery_id is not None:
                await conn.execute(
                    update(deliveries)
                    .where(_delivery(channel, delivery_id))
                    .values(lease_until=None)
                )

    async def receive(self, channel: str, external_id: str, delivery_id: str) -> Received:
        now = datetime.now(UTC)
        until = now + self._lease
        if self._postgres:
            async with self._engine.connect() as conn:
                args = (channel, external_id, delivery_id, now, until)
                fresh, done, found, unreachable = await _raw(conn).fetchrow(_RECEIVE, *args)
            if fresh is None:
                return Received(Arrival.DONE if done else Arrival.UNDER_WAY, None)
            arrival = Arrival.FIRST if fresh else Arrival.TAKEN_OVER
            return Received(arrival, _state(found), unreachable)
        async with self._engine.connect() as conn:
            await conn.execution_options(**{WRITE: True})  # BEGIN IMMEDIATE: one at a time
            async with conn.begin():
                arrival = await _claim(conn, channel, delivery_id, now, until)
                if arrival not in ACTED_ON:
                    return Received(arrival, None)
                found = await _load(conn, channel, external_id)
                unreachable = await _unreachable(conn, channel, external_id)
        return Received(arrival, _state(found), unreachable)


async def _claim(
    conn: AsyncConnection, channel: str, delivery_id: str, now: datetime, until: datetime
) -> Arrival:
    """SQLite, under the write lock: the delivery's record, made or taken over if it may be."""
    query = select(deliveries.c.lease_until).where(_delivery(channel, delivery_id))
    row = (await conn.execute(query)).first()
    if row is None:
        values = {"channel": channel, "delivery_id": delivery_id, "at": now}
        await conn.execute(deliveries.insert().values(lease_until=until, **values))
        return Arrival.FIRST
    if row.lease_until is None:
        return Arrival.DONE
    if row.lease_until >= now:
        return Arrival.UNDER_WAY
    stmt = update(deliveries).where(_delivery(channel, delivery_id))
    await conn.execute(stmt.values(at=now, lease_until=until))
    return Arrival.TAKEN_OVER


def _delivery(channel: str, delivery_id: str) -> ColumnElement[bool]:
    return and_(deliveries.c.channel == channel, deliveries.c.delivery_id == delivery_id)


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


async def _unreachable(conn: AsyncConnection, channel: str, external_id: str) -> bool:
    i = identities.c
    query = select(i.unreachable_at).where(i.channel == channel, i.external_id == external_id)
    return (await conn.execute(query)).scalar() is not None


def _raw(conn: AsyncConnection) -> Any:
    """The asyncpg connection under a checked-out SQLAlchemy one (the engine runs PostgreSQL in
    driver-level autocommit, see engine.py)."""
    return conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
