"""Submissions on PostgreSQL: the snapshot and the one-statement save of ADR 0009, as fixed SQL
on the asyncpg connection (prepared once per connection by the driver)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import asyncpg

from komunalka.adapters.db.postgres import LOCK_METERS, context_of, reading_of
from komunalka.adapters.db.readings import StaleCorrection
from komunalka.adapters.db.scope import InScope
from komunalka.application.readings.ports import Claim, NewSubmission, SubmissionSnapshot
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import MeterContext
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading
from komunalka.domain.values import to_milli

# A submission's snapshot: its meters with their revisions and recent accepted readings, one row
# per reading (a meter with none once, with NULL reading columns), each row also carrying the
# earlier submission under the client key, if any.
_SNAPSHOT = """
    SELECT m.id, m.account_id, m.supplier_id, m.service, m.serial, m.registers, m.digits,
           m.decimals, m.verification_due, m.status, a.number, a.holder, a.address, a.district,
           s.code, s.name, s.timezone, s.window_rule, s.account_pattern,
           EXISTS (SELECT 1 FROM account_links l
                   WHERE l.account_id = a.id AND l.resident_id = $2) AS linked,
           m.revision,
           (SELECT (e.id, e.fingerprint, e.created_at) FROM submissions e
            WHERE e.actor_key = $4 AND e.client_key = $5) AS earlier,
           r.id, r.meter_id, r.register, r.period, r.value_milli, r.submitted_at, r.channel,
           r.status, r.receipt, r.submission_id, m.water_heater
    FROM meters m
    JOIN accounts a ON a.id = m.account_id
    JOIN suppliers s ON s.id = m.supplier_id
    LEFT JOIN readings r ON r.meter_id = m.id AND r.status = 'accepted' AND r.period >= $3
    WHERE {where}
    ORDER BY m.id, r.register, r.period, r.id
"""
# One meter is the common case; `= $1` is planned once per connection, while `= ANY($1)` is
# planned again on every call (a custom plan; the generic one scans).
# Where m.water_heater is in a row of _SNAPSHOT (last, after the reading's columns).
_HEATER = 32
_SNAPSHOT_ONE = _SNAPSHOT.format(where="m.id = $1")
_SNAPSHOT_MANY = _SNAPSHOT.format(where="m.id = ANY($1::bigint[])")

# A submission in one statement, so that on its own it is atomic: the meters move on from the
# snapshot's revisions (an UPDATE waits for a concurrent writer of the meter and then sees its
# revision: a stale snapshot updates fewer rows), then, only if all moved, the claim of the
# client key, its audit entry, the corrected readings superseded and the new ones added. The
# CTEs run in that order because each reads the one before. If the claim finds its key taken,
# nothing but the revisions is written (they only make a concurrent snapshot retry). The last
# column divides by zero, failing the whole statement, if a corrected reading was no longer
# accepted: it cannot be while its meter is at the snapshot's revision. Each new reading is
# also an item of its supplier's feed (f, naming the reading it corrects; ADR 0017).
_SAVE = """
    WITH moved AS (
        UPDATE meters m SET revision = m.revision + 1
        FROM unnest($1::bigint[], $2::bigint[]) AS e(id, revision)
        WHERE m.id = e.id AND m.revision = e.revision
        RETURNING m.id
    ), s AS (
        INSERT INTO submissions (actor_key, client_key, fingerprint, channel, created_at)
        SELECT $3, $4, $5, $6, $7
        WHERE (SELECT count(*) FROM moved) = cardinality($1::bigint[])
        ON CONFLICT (actor_key, client_key) DO NOTHING
        RETURNING id
    ), a AS (
        INSERT INTO audit_log (at, actor_kind, actor_id, on_behalf_of, channel, action, subject,
                               details, note)
        SELECT $7, $8, $9, $10, $6, 'readings.submit', 'submission:' || s.id, $11, $12 FROM s
    ), old AS (
        UPDATE readings SET status = 'superseded'
        WHERE id = ANY($13::bigint[]) AND status = 'accepted' AND EXISTS (SELECT FROM s)
        RETURNING id, meter_id, register, period
    ), r AS (
        INSERT INTO readings (meter_id, register, period, value_milli, submitted_at, channel,
                              status, receipt, submission_id, release_at)
        SELECT x.meter_id, x.register, x.period, x.value_milli, $7, $6, 'accepted', x.receipt,
               s.id, x.release_at
        FROM s, unnest($14::bigint[], $15::text[], $16::int[], $17::bigint[], $18::text[],
                       $19::timestamptz[])
             AS x(meter_id, register, period, value_milli, receipt, release_at)
        WHERE (SELECT count(*) FROM old) >= 0
        RETURNING id, meter_id, register, period
    ), f AS (
        INSERT INTO feed_items (supplier_id, reading_id, replaces_id, period)
        SELECT m.supplier_id, r.id, o.id, r.period
        FROM r JOIN meters m ON m.id = r.meter_id
        LEFT JOIN old o
          ON o.meter_id = r.meter_id AND o.register = r.register AND o.period = r.period
        ORDER BY r.id
    )
    SELECT (SELECT count(*) FROM moved), (SELECT id FROM s),
           1 / (NOT EXISTS (SELECT FROM s)
                OR (SELECT count(*) FROM old) = cardinality($13::bigint[]))::int
"""
# The same for one reading of one meter correcting at most one ($13, NULL for none), the common
# case: without arrays PostgreSQL keeps one generic plan for it, where the arrays above get
# planned again on every call (half a millisecond of the server's time).
_SAVE_ONE = """
    WITH moved AS (
        UPDATE meters SET revision = revision + 1 WHERE id = $1 AND revision = $2 RETURNING id
    ), s AS (
        INSERT INTO submissions (actor_key, client_key, fingerprint, channel, created_at)
        SELECT $3, $4, $5, $6, $7 FROM moved
        ON CONFLICT (actor_key, client_key) DO NOTHING
        RETURNING id
    ), a AS (
        INSERT INTO audit_log (at, actor_kind, actor_id, on_behalf_of, channel, action, subject,
                               details, note)
        SELECT $7, $8, $9, $10, $6, 'readings.submit', 'submission:' || s.id, $11, $12 FROM s
    ), old AS (
        UPDATE readings SET status = 'superseded'
        WHERE id = $13 AND status = 'accepted' AND EXISTS (SELECT FROM s)
        RETURNING id
    ), r AS (
        INSERT INTO readings (meter_id, register, period, value_milli, submitted_at, channel,
                              status, receipt, submission_id, release_at)
        SELECT $1, $14, $15, $16, $7, $6, 'accepted', $17, s.id, $18::timestamptz FROM s
        WHERE (SELECT count(*) FROM old) >= 0
        RETURNING id, period
    ), f AS (
        INSERT INTO feed_items (supplier_id, reading_id, replaces_id, period)
        SELECT m.supplier_id, r.id, (SELECT id FROM old), r.period
        FROM r JOIN meters m ON m.id = $1
    )
    SELECT (SELECT count(*) FROM moved), (SELECT id FROM s),
           1 / (NOT EXISTS (SELECT FROM s)
                OR (SELECT count(*) FROM old) = ($13::bigint IS NOT NULL)::int)::int
"""
_EARLIER_CLAIM = """
    SELECT id, fingerprint, created_at FROM submissions WHERE actor_key = $1 AND client_key = $2
"""


class PgSubmissionRepository(InScope):
    async def snapshot(
        self,
        actor: Actor,
        client_key: str | None,
        meter_ids: Sequence[int],
        since: BillingPeriod,
        *,
        hold: bool,
    ) -> SubmissionSnapshot:
        if hold:
            await self._raw.execute(LOCK_METERS, sorted(set(meter_ids)))
        one = len(meter_ids) == 1
        query = _SNAPSHOT_ONE if one else _SNAPSHOT_MANY
        key = meter_ids[0] if one else list(meter_ids)
        rows = await self._raw.fetch(
            query, key, actor.resident_id or -1, since.index, actor.key, client_key
        )
        if not rows:  # no such meter: the earlier submission, if any, is still the answer
            return SubmissionSnapshot(await self._earlier(actor.key, client_key), [])
        if rows[0][21] is not None:
            earlier = rows[0][21]
            return SubmissionSnapshot(Claim(earlier[0], False, earlier[1], earlier[2]), [])
        found: dict[int, MeterContext] = {}
        history: dict[int, dict[str, list[Reading]]] = {}
        for r in rows:
            if r[0] not in found:
                found[r[0]] = context_of(r, heater=_HEATER)
                history[r[0]] = {}
            if r[22] is not None:
                history[r[0]].setdefault(r[24], []).append(reading_of(r[22:]))
        contexts = [replace(c, history=history[mid]) for mid, c in found.items()]
        return SubmissionSnapshot(None, contexts)

    async def save(self, new: NewSubmission) -> Claim | None:
        actor = new.actor
        ids = sorted(new.revisions)
        try:
            if len(ids) == 1 and len(new.readings) == 1 and len(new.superseded) <= 1:
                (reading,) = new.readings
                moved, new_id, _ = await self._raw.fetchrow(
                    _SAVE_ONE,
                    ids[0],
                    new.revisions[ids[0]],
                    *_submission(new),
                    new.superseded[0] if new.superseded else None,
                    reading.register,
                    reading.period.index,
                    to_milli(reading.value),
                    reading.receipt or None,
                    reading.held_until,
                )
            else:
                moved, new_id, _ = await self._raw.fetchrow(
                    _SAVE,
                    ids,
                    [new.revisions[i] for i in ids],
                    *_submission(new),
                    list(new.superseded),
                    [r.meter_id for r in new.readings],
                    [r.register for r in new.readings],
                    [r.period.index for r in new.readings],
                    [to_milli(r.value) for r in new.readings],
                    [r.receipt or None for r in new.readings],
                    [r.held_until for r in new.readings],
                )
        except asyncpg.DivisionByZeroError as exc:  # the statement's guard: nothing written
            raise StaleCorrection(new.superseded) from exc
        except asyncpg.UniqueViolationError as exc:
            # An accepted reading of the register and period landed without moving the
            # meter on (a registry import): the snapshot is stale all the same.
            if exc.constraint_name == "uq_readings_accepted":
                return None
            raise
        if new_id is not None:
            return Claim(new_id, True, new.fingerprint, new.at)
        if moved != len(ids):
            return None
        earlier = await self._earlier(actor.key, new.client_key)
        assert earlier is not None  # the key's claim conflicted, so it exists
        return earlier

    async def _earlier(self, actor_key: str, client_key: str | None) -> Claim | None:
        if client_key is None:
            return None
        row = await self._raw.fetchrow(_EARLIER_CLAIM, actor_key, client_key)
        return Claim(row[0], False, row[1], row[2]) if row else None


def _submission(new: NewSubmission) -> tuple[Any, ...]:
    """$3 to $12 of either save statement: the submission and its audit entry."""
    actor = new.actor
    return (
        actor.key,
        new.client_key,
        new.fingerprint,
        actor.channel.value,
        new.at,
        actor.kind.value,
        actor.id,
        actor.on_behalf_of,
        json.dumps({"key": new.client_key}, ensure_ascii=False),
        actor.note,
    )
