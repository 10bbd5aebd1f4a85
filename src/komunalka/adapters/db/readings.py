"""Readings, submissions (idempotency claims) and the audit log, on SQLAlchemy Core."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import bindparam, insert, select, text, update

from komunalka.adapters.db.repositories import SqlMeterRepository
from komunalka.adapters.db.rows import dialect_insert, reading_of
from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import audit_log, meters, readings, submissions
from komunalka.application.readings.ports import Claim, NewSubmission, SubmissionSnapshot
from komunalka.application.shared.actors import Actor
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
    readings.c.release_at,
)


_FEED_RECEIPTS = text(
    """
    INSERT INTO feed_items (supplier_id, reading_id, period)
    SELECT m.supplier_id, r.id, r.period
    FROM readings r JOIN meters m ON m.id = r.meter_id
    WHERE r.receipt IN :receipts AND r.status = 'accepted'
    ORDER BY r.id
    """
).bindparams(bindparam("receipts", expanding=True))


class SqlReadingRepository(InScope):
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
                "release_at": r.held_until,
            }
            for r in new
        ]
        await self._conn.execute(insert(readings), rows)
        await self.feed_receipts([r.receipt for r in new if r.receipt and r.submission_id is None])

    async def feed_receipts(self, receipts: Sequence[str]) -> None:
        """Readings added outside a submission (the demo's history) with receipts: items of
        their suppliers' feeds too, as a submission's are (ADR 0017)."""
        for start in range(0, len(receipts), 5_000):
            chunk = list(receipts[start : start + 5_000])
            await self._conn.execute(_FEED_RECEIPTS, {"receipts": chunk})

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


class StaleCorrection(RuntimeError):
    """A reading to supersede was no longer accepted although its meter was still at the
    snapshot's revision: some writer changed readings without moving the meter on."""

    def __init__(self, reading_ids: Sequence[int]) -> None:
        super().__init__(f"readings {list(reading_ids)} are no longer accepted")


# The submission's readings as items of their suppliers' feeds (ADR 0017), each naming the
# reading it corrects: the latest superseded one of its register and period (the one this
# submission superseded a moment ago).
_FEED = text(
    """
    INSERT INTO feed_items (supplier_id, reading_id, replaces_id, period)
    SELECT m.supplier_id, r.id,
           (SELECT max(o.id) FROM readings o
            WHERE o.meter_id = r.meter_id AND o.register = r.register AND o.period = r.period
              AND o.status = 'superseded' AND o.id < r.id),
           r.period
    FROM readings r JOIN meters m ON m.id = r.meter_id
    WHERE r.submission_id = :submission
    ORDER BY r.id
    """
)


class SqlSubmissionRepository(InScope):
    """Submissions on SQLAlchemy Core. SQLite runs them in a writing unit of work (BEGIN
    IMMEDIATE), which holds the whole database: no meter moves on between snapshot and save."""

    async def snapshot(
        self,
        actor: Actor,
        client_key: str | None,
        meter_ids: Sequence[int],
        since: BillingPeriod,
        *,
        hold: bool,
    ) -> SubmissionSnapshot:
        earlier = await self._earlier(actor.key, client_key)
        if earlier is not None:
            return SubmissionSnapshot(earlier, [])
        found = await SqlMeterRepository().contexts(
            meter_ids, lock=hold, resident_id=actor.resident_id
        )
        recent = await SqlReadingRepository().recent(meter_ids, since)
        contexts = [
            replace(c, history={r: rows for (m, r), rows in recent.items() if m == c.meter.id})
            for c in found
        ]
        return SubmissionSnapshot(None, contexts)

    async def save(self, new: NewSubmission) -> Claim | None:
        ids = sorted(new.revisions)
        query = select(meters.c.id, meters.c.revision).where(meters.c.id.in_(ids))
        current = {row.id: row.revision for row in await self._conn.execute(query)}
        if current != dict(new.revisions):
            return None
        actor, key = new.actor, new.client_key
        values = {
            "actor_key": actor.key,
            "client_key": key,
            "fingerprint": new.fingerprint,
            "channel": actor.channel.value,
            "created_at": new.at,
        }
        stmt = dialect_insert(self._conn, submissions).values(values)
        if key is not None:
            stmt = stmt.on_conflict_do_nothing(index_elements=["actor_key", "client_key"])
        new_id = (await self._conn.execute(stmt.returning(submissions.c.id))).scalar()
        if new_id is None:
            earlier = await self._earlier(actor.key, key)
            assert earlier is not None
            return earlier
        await SqlAuditLog().record(
            actor, AUDIT_SUBMIT, f"submission:{new_id}", {"key": key}, new.at
        )
        for meter_id in ids:
            bump = update(meters).where(meters.c.id == meter_id)
            await self._conn.execute(bump.values(revision=meters.c.revision + 1))
        if new.superseded:
            stmt = update(readings).where(
                readings.c.id.in_(new.superseded),
                readings.c.status == ReadingStatus.ACCEPTED.value,
            )
            done = await self._conn.execute(stmt.values(status=ReadingStatus.SUPERSEDED.value))
            if done.rowcount != len(new.superseded):  # the unit of work rolls back
                raise StaleCorrection(new.superseded)
        mine = [replace(r, submission_id=new_id) for r in new.readings]
        await SqlReadingRepository().add(mine)
        await self._conn.execute(_FEED, {"submission": new_id})
        return Claim(new_id, True, new.fingerprint, new.at)

    async def _earlier(self, actor_key: str, client_key: str | None) -> Claim | None:
        if client_key is None:
            return None
        query = select(submissions.c.id, submissions.c.fingerprint, submissions.c.created_at).where(
            submissions.c.actor_key == actor_key, submissions.c.client_key == client_key
        )
        row = (await self._conn.execute(query)).first()
        return Claim(row.id, False, row.fingerprint, row.created_at) if row else None


class SqlAuditLog(InScope):
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
