"""What waits in the database's queues, and the imports under way: read for the metrics when
they are scraped (bootstrap/observability.py). Each count reads a partial index (the due rows
of the outbox, reminders and webhooks) or a handful of running rows, so a scrape stays cheap on
tables of millions of rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.db.tables import (
    outbox,
    registry_imports,
    registry_uploads,
    reminders,
    webhook_batches,
)


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Per queue: items due and seconds the oldest has waited; per kind of import: how many run
    and their rows so far."""

    depth: dict[str, int] = field(default_factory=dict)
    lag: dict[str, float] = field(default_factory=dict)
    imports: dict[str, int] = field(default_factory=dict)
    import_rows: dict[str, int] = field(default_factory=dict)


async def queue_stats(engine: AsyncEngine, now: datetime) -> QueueStats:
    epoch = int(now.timestamp())
    due = {
        "outbox": select(func.count(), func.min(outbox.c.created_at)).where(
            outbox.c.state == "waiting",
            or_(outbox.c.lease_until.is_(None), outbox.c.lease_until <= now),
        ),
        "reminders": select(func.count(), func.min(reminders.c.send_at)).where(
            reminders.c.state == "planned", reminders.c.send_at <= epoch
        ),
        "supplier_webhooks": select(func.count(), func.min(webhook_batches.c.next_at)).where(
            webhook_batches.c.state == "waiting", webhook_batches.c.next_at <= now
        ),
    }
    running = {
        "upload": select(func.count(), func.coalesce(func.sum(registry_uploads.c.rows), 0)).where(
            registry_uploads.c.status == "running"
        ),
        "merge": select(func.count(), func.coalesce(func.sum(registry_imports.c.staged), 0)).where(
            registry_imports.c.state == "running"
        ),
    }
    stats = QueueStats()
    async with engine.connect() as conn:
        for name, query in due.items():
            count, oldest = (await conn.execute(query)).one()
            stats.depth[name] = int(count)
            stats.lag[name] = _waited(oldest, now, epoch)
        for kind, query in running.items():
            count, rows = (await conn.execute(query)).one()
            stats.imports[kind] = int(count)
            stats.import_rows[kind] = int(rows)
    return stats


def _waited(oldest: datetime | int | None, now: datetime, epoch: int) -> float:
    if oldest is None:
        return 0.0
    if isinstance(oldest, datetime):
        return max(0.0, (now - oldest).total_seconds())
    return float(max(0, epoch - int(oldest)))
