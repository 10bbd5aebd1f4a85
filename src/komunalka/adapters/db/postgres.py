"""The hot path on PostgreSQL: fixed SQL run on the asyncpg connection (prepared once per
connection by the driver), in the unit of work's transaction when it has one. Submissions
themselves are in pg_submissions.py.

SQLAlchemy Core rebuilds and compiles-from-cache every statement on every call; on this path that
was most of a request's CPU (docs/BENCHMARKS.md). The statements here do exactly what the Core
versions in repositories.py and readings.py do; the same tests run against both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from komunalka.adapters.db.readings import SqlReadingRepository
from komunalka.adapters.db.repositories import PRICE_SCALE, SqlMeterRepository, SqlTariffRepository
from komunalka.adapters.db.rows import supplier_of
from komunalka.adapters.db.scope import InScope
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import MeterContext
from komunalka.domain.meters import Account, Meter, MeterStatus
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus
from komunalka.domain.services import Channel, Service
from komunalka.domain.tariffs import Tariff
from komunalka.domain.values import from_milli, to_milli

_CONTEXTS = """
    SELECT m.id, m.account_id, m.supplier_id, m.service, m.serial, m.registers, m.digits,
           m.decimals, m.verification_due, m.status, a.number, a.holder, a.address, a.district,
           s.code, s.name, s.timezone, s.window_rule, s.account_pattern,
           EXISTS (SELECT 1 FROM account_links l
                   WHERE l.account_id = a.id AND l.resident_id = $2) AS linked,
           m.revision, m.water_heater
    FROM meters m
    JOIN accounts a ON a.id = m.account_id
    JOIN suppliers s ON s.id = m.supplier_id
    WHERE {where}
"""
# One meter is the common case; `= $1` is planned once per connection, while `= ANY($1)` is
# planned again on every call (a custom plan; the generic one scans).
_CONTEXTS_ONE = _CONTEXTS.format(where="m.id = $1")
_CONTEXTS_MANY = _CONTEXTS.format(where="m.id = ANY($1::bigint[])") + " ORDER BY m.id"
# Held meters are row-locked in id order (two holders never deadlock); the lock is the one a
# submission's revision update takes, so a held meter cannot move on until the holder ends.
LOCK_METERS = """
    SELECT id FROM meters WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE
"""

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
                          receipt, submission_id, release_at)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::bigint[], $5::timestamptz[],
                         $6::text[], $7::text[], $8::text[], $9::bigint[], $10::timestamptz[])
"""

# One reading, the common case: plain VALUES bind and plan for less than nine arrays.
_ADD_ONE = """
    INSERT INTO readings (meter_id, register, period, value_milli, submitted_at, channel, status,
                          receipt, submission_id, release_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""

_TARIFFS = """
    SELECT supplier_id, service, price_e4, effective_from, zone, demo
    FROM tariffs WHERE supplier_id = $1 ORDER BY effective_from
"""

_AUDIT = """
    INSERT INTO audit_log (at, actor_kind, actor_id, on_behalf_of, channel, action, subject,
                           details, note)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""


def _meter(row: Any, heater: int) -> Meter:
    """The meter of a row of _CONTEXTS (or the snapshot's): `heater` is where m.water_heater is."""
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
        row[heater],
    )


def reading_of(row: Any) -> Reading:
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


def context_of(r: Any, heater: int = 21) -> MeterContext:
    return MeterContext(
        _meter(r, heater),
        Account(r[1], r[2], r[10], r[11], r[12], r[13]),
        supplier_of(r[2], r[14], r[15], r[16], r[17], r[18]),
        r[19],
        revision=r[20],
    )


class PgMeterRepository(SqlMeterRepository):
    async def contexts(
        self, meter_ids: Sequence[int], *, lock: bool, resident_id: int | None = None
    ) -> list[MeterContext]:
        if lock:
            await self._raw.execute(LOCK_METERS, sorted(set(meter_ids)))
        if len(meter_ids) == 1:
            rows = await self._raw.fetch(_CONTEXTS_ONE, meter_ids[0], resident_id or -1)
        else:
            rows = await self._raw.fetch(_CONTEXTS_MANY, list(meter_ids), resident_id or -1)
        return [context_of(r) for r in rows]


class PgReadingRepository(SqlReadingRepository):
    async def recent(
        self, meter_ids: Sequence[int], since: BillingPeriod
    ) -> dict[tuple[int, str], list[Reading]]:
        found: dict[tuple[int, str], list[Reading]] = {}
        one = len(meter_ids) == 1
        key = meter_ids[0] if one else list(meter_ids)
        for row in await self._raw.fetch(_RECENT_ONE if one else _RECENT_MANY, key, since.index):
            found.setdefault((row[1], row[2]), []).append(reading_of(row))
        return found

    async def add(self, new: Sequence[Reading]) -> None:
        await self._insert(new)
        await self.feed_receipts([r.receipt for r in new if r.receipt and r.submission_id is None])

    async def _insert(self, new: Sequence[Reading]) -> None:
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
                r.held_until,
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
            [r.held_until for r in new],
        )


class PgAuditLog(InScope):
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


class PgTariffRepository(SqlTariffRepository):
    """A supplier's tariffs: read for every bill estimate (a sending round's summary)."""

    async def of_supplier(self, supplier_id: int) -> list[Tariff]:
        return [
            Tariff(r[0], Service(r[1]), Decimal(r[2]) / PRICE_SCALE, r[3], r[4], r[5])
            for r in await self._raw.fetch(_TARIFFS, supplier_id)
        ]
