"""Readings, submissions (idempotency claims) and the audit log, on SQLAlchemy Core."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from komunalka.adapters.db.rows import dialect_insert, reading_of
from komunalka.adapters.db.tables import audit_log, readings, submissions
from komunalka.application.actors import Actor
from komunalka.application.ports import Claim
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus
from komunalka.domain.values import to_milli

_READING_COLUMNS = (
    readings.c.id,
    readings.c.meter_id,
    readings.c.register,
    readings.c.period,
    readings.c.value_milli,
    readings.c.submitted_at,
    readings.c.channel,
    readings.c.status,
    readings.c.receipt,
    readings.c.submission_id,
)


class SqlReadingRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def recent(
        self, meter_ids: Sequence[int], since: BillingPeriod
    ) -> dict[tuple[int, str], list[Reading]]:
        query = (
            select(*_READING_COLUMNS)
            .where(
                readings.c.meter_id.in_(meter_ids),
                readings.c.period >= since.index,
                readings.c.status == ReadingStatus.ACCEPTED.value,
            )
            .order_by(readings.c.meter_id, readings.c.register, readings.c.period, readings.c.id)
        )
        found: dict[tuple[int, str], list[Reading]] = {}
        for row in await self._conn.execute(query):
            found.setdefault((row.meter_id, row.register), []).append(reading_of(row))
        return found

    async def add(self, new: Sequence[Reading]) -> None:
        rows = [
            {
                "meter_id": r.meter_id,
                "register": r.register,
                "period": r.period.index,
                "value_milli": to_milli(r.value),
                "submitted_at": r.submitted_at,
                "channel": r.channel.value,
                "status": r.status.value,
                "receipt": r.receipt or None,
                "submission_id": r.submission_id,
            }
            for r in new
        ]
        await self._conn.execute(insert(readings), rows)

    async def supersede(self, reading_ids: Sequence[int]) -> None:
        stmt = update(readings).where(readings.c.id.in_(reading_ids))
        await self._conn.execute(stmt.values(status=ReadingStatus.SUPERSEDED.value))

    async def of_submission(self, submission_id: int) -> list[Reading]:
        query = select(*_READING_COLUMNS).where(readings.c.submission_id == submission_id)
        return [reading_of(r) for r in await self._conn.execute(query.order_by(readings.c.id))]

    async def by_receipt(self, receipt: str) -> Reading | None:
        query = select(*_READING_COLUMNS).where(readings.c.receipt == receipt)
        row = (await self._conn.execute(query)).first()
        return reading_of(row) if row else None

    async def history(self, meter_id: int, since: BillingPeriod) -> list[Reading]:
        query = (
            select(*_READING_COLUMNS)
            .where(readings.c.meter_id == meter_id, readings.c.period >= since.index)
            .order_by(readings.c.period, readings.c.id)
        )
        return [reading_of(r) for r in await self._conn.execute(query)]


AUDIT_SUBMIT = "readings.submit"


class SqlSubmissionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def claim(
        self,
        actor: Actor,
        client_key: str | None,
        fingerprint: str,
        at: datetime,
        meter_ids: Sequence[int] = (),
    ) -> Claim:
        # SQLite: the writing unit of work began with BEGIN IMMEDIATE and holds the database.
        values = {
            "actor_key": actor.key,
            "client_key": client_key,
            "fingerprint": fingerprint,
            "channel": actor.channel.value,
            "created_at": at,
        }
        stmt = dialect_insert(self._conn, submissions).values(values)
        if client_key is not None:
            stmt = stmt.on_conflict_do_nothing(index_elements=["actor_key", "client_key"])
        new_id = (await self._conn.execute(stmt.returning(submissions.c.id))).scalar()
        if new_id is not None:
            details = {"key": client_key}
            await SqlAuditLog(self._conn).record(
                actor, AUDIT_SUBMIT, f"submission:{new_id}", details, at
            )
            return Claim(new_id, True, fingerprint, at)
        query = select(submissions.c.id, submissions.c.fingerprint, submissions.c.created_at).where(
            submissions.c.actor_key == actor.key, submissions.c.client_key == client_key
        )
        row = (await self._conn.execute(query)).one()
        return Claim(row.id, False, row.fingerprint, row.created_at)


class SqlAuditLog:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(
        self, actor: Actor, action: str, subject: str, details: Mapping[str, object], at: datetime
    ) -> None:
        values = {
            "at": at,
            "actor_kind": actor.kind.value,
            "actor_id": actor.id,
            "on_behalf_of": actor.on_behalf_of,
            "channel": actor.channel.value,
            "action": action,
            "subject": subject,
            "details": json.dumps(details, ensure_ascii=False, default=str),
            "note": actor.note,
        }
        await self._conn.execute(insert(audit_log).values(values))
