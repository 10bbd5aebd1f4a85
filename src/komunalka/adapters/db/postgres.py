"""The submission hot path on PostgreSQL: fixed SQL run on the asyncpg connection (prepared
once per connection by the driver), inside the unit of work's transaction.

SQLAlchemy Core rebuilds and compiles-from-cache every statement on every call; on this path that
was most of a request's CPU (docs/BENCHMARKS.md). The statements here do exactly what the Core
versions in repositories.py and readings.py do; the same tests run against both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from komunalka.adapters.db.readings import SqlReadingRepository
from komunalka.adapters.db.repositories import SqlMeterRepository
from komunalka.adapters.db.rows import supplier_of
from komunalka.application.actors import Actor
from komunalka.application.ports import Claim, MeterContext
from komunalka.domain.meters import Account, Meter, MeterStatus
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus
from komunalka.domain.services import Channel, Service
from komunalka.domain.values import from_milli, to_milli

_CONTEXTS = """
    SELECT m.id, m.account_id, m.supplier_id, m.service, m.serial, m.registers, m.digits,
           m.decimals, m.verification_due, m.status, a.number, a.holder, a.address, a.district,
           s.code, s.name, s.timezone, s.window_rule, s.account_pattern,
           EXISTS (SELECT 1 FROM account_links l
                   WHERE l.account_id = a.id AND l.resident_id = $2) AS linked
    FROM meters m
    JOIN accounts a ON a.id = m.account_id
    JOIN suppliers s ON s.id = m.supplier_id
    WHERE {where}
"""
# One meter is the common case; `= $1` is planned once per connection, while `= ANY($1)` is
# planned again on every call (a custom plan; the generic one scans).
_CONTEXTS_ONE = _CONTEXTS.format(where="m.id = $1")
_CONTEXTS_MANY = _CONTEXTS.format(where="m.id = ANY($1::bigint[])") + " ORDER BY m.id"
# Submissions to one meter run one after another under a transaction-scoped advisory lock keyed
# by the meter's id (the only one-key advisory locks; the registry import takes a two-key one,
# registry_pg.py), taken by the claim in id order
# (two submissions never deadlock). It costs the server less than a row lock: no write to the
# meter's row, no WAL.
_LOCK = "SELECT pg_advisory_xact_lock(x) FROM unnest($1::bigint[]) AS x"

# A submission's meters with their recent accepted readings, read after the claim took the
# locks (so this statement's snapshot has every earlier submission): one row per reading, a
# meter with none once, with NULL reading columns.
_FOR_SUBMISSION = """
    SELECT m.id, m.account_id, m.supplier_id, m.service, m.serial, m.registers, m.digits,
           m.decimals, m.verification_due, m.status, a.number, a.holder, a.address, a.district,
           s.code, s.name, s.timezone, s.window_rule, s.account_pattern,
           EXISTS (SELECT 1 FROM account_links l
                   WHERE l.account_id = a.id AND l.resident_id = $2) AS linked,
           r.id, r.meter_id, r.register, r.period, r.value_milli, r.submitted_at, r.channel,
           r.status, r.receipt, r.submission_id
    FROM meters m
    JOIN accounts a ON a.id = m.account_id
    JOIN suppliers s ON s.id = m.supplier_id
    LEFT JOIN readings r ON r.meter_id = m.id AND r.status = 'accepted' AND r.period >= $3
    WHERE {where}
    ORDER BY m.id, r.register, r.period, r.id
"""
_FOR_SUBMISSION_ONE = _FOR_SUBMISSION.format(where="m.id = $1")
_FOR_SUBMISSION_MANY = _FOR_SUBMISSION.format(where="m.id = ANY($1::bigint[])")

_RECENT = """
    SELECT id, meter_id, register, period, value_milli, submitted_at, channel, status, receipt,
           submission_id
    FROM readings
    WHERE {where} AND period >= $2 AND status = 'accepted'
    ORDER BY meter_id, register, period, id
"""
_RECENT_ONE = _RECENT.format(where="meter_id = $1")
_RECENT_MANY = _RECENT.format(where="meter_id = ANY($1::bigint[])")

_ADD = """
    INSERT INTO readings (meter_id, register, period, value_milli, submitted_at, channel, status,
                          receipt, submission_id)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::bigint[], $5::timestamptz[],
                         $6::text[], $7::text[], $8::text[], $9::bigint[])
"""

# One reading, the common case: plain VALUES bind and plan for less than nine arrays.
_ADD_ONE = """
    INSERT INTO readings (meter_id, register, period, value_milli, submitted_at, channel, status,
                          receipt, submission_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""

_SUPERSEDE = "UPDATE readings SET status = 'superseded' WHERE id = ANY($1::bigint[])"

# The claim, its audit entry and the meters' locks in one statement; the locks come first (the
# insert reads them), so a claim never waits on a key while holding a meter.
_CLAIM = """
    WITH held AS MATERIALIZED (
        SELECT count(pg_advisory_xact_lock(x)) AS n FROM unnest($11::bigint[]) AS x
    ), s AS (
        INSERT INTO submissions (actor_key, client_key, fingerprint, channel, created_at)
        SELECT $1, $2, $3, $4, $5 FROM held
        ON CONFLICT (actor_key, client_key) DO NOTHING
        RETURNING id
    ), a AS (
        INSERT INTO audit_log (at, actor_kind, actor_id, on_behalf_of, channel, action, subject,
                               details, note)
        SELECT $5, $6, $7, $8, $4, 'readings.submit', 'submission:' || s.id, $9, $10 FROM s
    )
    SELECT id FROM s
"""
_EARLIER_CLAIM = """
    SELECT id, fingerprint, created_at FROM submissions WHERE actor_key = $1 AND client_key = $2
"""

_AUDIT = """
    INSERT INTO audit_log (at, actor_kind, actor_id, on_behalf_of, channel, action, subject,
                           details, note)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""


def _meter(row: Any) -> Meter:
    return Meter(
        row[0],
        row[1],
        Service(row[3]),
        row[4],
        tuple(row[5].split("|")),
        row[6],
        row[7],
        row[8],
        MeterStatus(row[9]),
    )


def _reading(row: Any) -> Reading:
    return Reading(
        meter_id=row[1],
        register=row[2],
        period=BillingPeriod.from_index(row[3]),
        value=from_milli(row[4]),
        submitted_at=row[5],
        channel=Channel(row[6]),
        receipt=row[8] or "",
        status=ReadingStatus(row[7]),
        id=row[0],
        submission_id=row[9],
    )


def _context(r: Any) -> MeterContext:
    return MeterContext(
        _meter(r),
        Account(r[1], r[2], r[10], r[11], r[12], r[13]),
        supplier_of(r[2], r[14], r[15], r[16], r[17], r[18]),
        r[19],
    )


class PgMeterRepository(SqlMeterRepository):
    def __init__(self, conn: AsyncConnection, raw: Any) -> None:
        super().__init__(conn)
        self._raw = raw

    async def contexts(
        self, meter_ids: Sequence[int], *, lock: bool, resident_id: int | None = None
    ) -> list[MeterContext]:
        if lock:
            await self._raw.execute(_LOCK, sorted(set(meter_ids)))
        if len(meter_ids) == 1:
            rows = await self._raw.fetch(_CONTEXTS_ONE, meter_ids[0], resident_id or -1)
        else:
            rows = await self._raw.fetch(_CONTEXTS_MANY, list(meter_ids), resident_id or -1)
        return [_context(r) for r in rows]

    async def for_submission(
        self, meter_ids: Sequence[int], resident_id: int | None, since: BillingPeriod
    ) -> list[MeterContext]:
        one = len(meter_ids) == 1
        query = _FOR_SUBMISSION_ONE if one else _FOR_SUBMISSION_MANY
        key = meter_ids[0] if one else list(meter_ids)
        found: dict[int, MeterContext] = {}
        history: dict[int, dict[str, list[Reading]]] = {}
        for r in await self._raw.fetch(query, key, resident_id or -1, since.index):
            if r[0] not in found:
                found[r[0]] = _context(r)
                history[r[0]] = {}
            if r[20] is not None:
                history[r[0]].setdefault(r[22], []).append(_reading(r[20:]))
        return [replace(c, history=history[mid]) for mid, c in found.items()]


class PgReadingRepository(SqlReadingRepository):
    def __init__(self, conn: AsyncConnection, raw: Any) -> None:
        super().__init__(conn)
        self._raw = raw

    async def recent(
        self, meter_ids: Sequence[int], since: BillingPeriod
    ) -> dict[tuple[int, str], list[Reading]]:
        found: dict[tuple[int, str], list[Reading]] = {}
        one = len(meter_ids) == 1
        key = meter_ids[0] if one else list(meter_ids)
        for row in await self._raw.fetch(_RECENT_ONE if one else _RECENT_MANY, key, since.index):
            found.setdefault((row[1], row[2]), []).append(_reading(row))
        return found

    async def supersede(self, reading_ids: Sequence[int]) -> None:
        await self._raw.execute(_SUPERSEDE, list(reading_ids))

    async def add(self, new: Sequence[Reading]) -> None:
        if len(new) == 1:
            r = new[0]
            await self._raw.execute(
                _ADD_ONE,
                r.meter_id,
                r.register,
                r.period.index,
                to_milli(r.value),
                r.submitted_at,
                r.channel.value,
                r.status.value,
                r.receipt or None,
                r.submission_id,
            )
            return
        await self._raw.execute(
            _ADD,
            [r.meter_id for r in new],
            [r.register for r in new],
            [r.period.index for r in new],
            [to_milli(r.value) for r in new],
            [r.submitted_at for r in new],
            [r.channel.value for r in new],
            [r.status.value for r in new],
            [r.receipt or None for r in new],
            [r.submission_id for r in new],
        )


class PgSubmissionRepository:
    def __init__(self, raw: Any) -> None:
        self._raw = raw

    async def claim(
        self,
        actor: Actor,
        client_key: str | None,
        fingerprint: str,
        at: datetime,
        meter_ids: Sequence[int] = (),
    ) -> Claim:
        key = actor.key
        details = json.dumps({"key": client_key}, ensure_ascii=False)
        new_id = await self._raw.fetchval(
            _CLAIM,
            key,
            client_key,
            fingerprint,
            actor.channel.value,
            at,
            actor.kind.value,
            actor.id,
            actor.on_behalf_of,
            details,
            actor.note,
            sorted(set(meter_ids)),
        )
        if new_id is not None:
            return Claim(new_id, True, fingerprint, at)
        row = await self._raw.fetchrow(_EARLIER_CLAIM, key, client_key)
        return Claim(row[0], False, row[1], row[2])


class PgAuditLog:
    def __init__(self, raw: Any) -> None:
        self._raw = raw

    async def record(
        self, actor: Actor, action: str, subject: str, details: Mapping[str, object], at: datetime
    ) -> None:
        await self._raw.execute(
            _AUDIT,
            at,
            actor.kind.value,
            actor.id,
            actor.on_behalf_of,
            actor.channel.value,
            action,
            subject,
            json.dumps(details, ensure_ascii=False, default=str),
            actor.note,
        )
