"""`ExpiredRows` on SQLite and PostgreSQL: each batch is one `DELETE ... WHERE key IN (SELECT key
... LIMIT n)`, so a batch holds its locks for a moment whatever the table's size, and two
processes running it at once delete each row once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Table, delete, or_, select, tuple_, update

from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import (
    deliveries,
    link_attempts,
    media,
    one_time_tokens,
    outbox,
    registry_imports,
    registry_rows,
    registry_seen,
    sign_in_attempts,
    web_sessions,
)

FINISHED = ("sent", "failed", "unknown")  # the outbox's states no sender will touch again


def _past(kind: str, before: datetime) -> tuple[Table, ColumnElement[bool]]:
    """The table of `kind` and which of its rows are past their use as of `before`."""
    not_running = select(registry_imports.c.id).where(registry_imports.c.state != "running")
    conditions: dict[str, tuple[Table, ColumnElement[bool]]] = {
        "deliveries": (
            deliveries,
            (deliveries.c.at < before)
            & or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < before),
        ),
        "sign_in_attempts": (sign_in_attempts, sign_in_attempts.c.at < before),
        "link_attempts": (link_attempts, link_attempts.c.at < before),
        "web_sessions": (web_sessions, web_sessions.c.expires_at <= before),
        "one_time_tokens": (one_time_tokens, one_time_tokens.c.expires_at < before),
        "media": (media, media.c.created_at < before),
        "outbox": (
            outbox,
            outbox.c.state.in_(FINISHED) & (outbox.c.created_at < before),
        ),
        # rows of imports finished or abandoned (a finished one deletes its own; a crash between
        # may leave some), never of one running
        "registry_rows": (registry_rows, registry_rows.c.import_id.in_(not_running)),
        "registry_seen": (registry_seen, registry_seen.c.import_id.in_(not_running)),
    }
    return conditions[kind]


class SqlExpiredRows(InScope):
    async def delete(self, kind: str, before: datetime, limit: int) -> int:
        table, past = _past(kind, before)
        key = tuple_(*table.primary_key.columns)
        batch = select(*table.primary_key.columns).where(past).limit(limit)
        if len(table.primary_key.columns) == 1:
            (column,) = table.primary_key.columns
            statement = delete(table).where(column.in_(batch.scalar_subquery()))
        else:
            statement = delete(table).where(key.in_(batch))
        result = await self._conn.execute(statement)
        return int(result.rowcount)

    async def abandon_imports(self, started_before: datetime) -> int:
        # runner NULL: the runner's next step (matched on its runner id) finds it taken over
        statement = (
            update(registry_imports)
            .where(registry_imports.c.state == "running", registry_imports.c.at < started_before)
            .values(state="abandoned", runner=None)
        )
        result = await self._conn.execute(statement)
        return int(result.rowcount)
