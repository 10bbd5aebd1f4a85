"""A resident's meter list (the `MeterList` port): their linked meters with accounts, suppliers,
recent accepted readings and, when asked, the suppliers' tariffs.

On PostgreSQL that is one fixed statement on the driver's connection, the commonest read of the
chat (every sending round's summary prices the list, docs/adr/0028); on SQLite, SQLAlchemy Core
in three reads. Tariffs come with the list instead of from a cache: a price changed by one
process is never shown stale by another, at no statement more.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from komunalka.adapters.db.postgres import context_of, reading_of
from komunalka.adapters.db.readings import SqlReadingRepository
from komunalka.adapters.db.repositories import (
    PRICE_SCALE,
    SqlMeterRepository,
    SqlTariffRepository,
)
from komunalka.adapters.db.scope import InScope
from komunalka.application.shared.ports import MeterContext
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading
from komunalka.domain.services import Service
from komunalka.domain.tariffs import Tariff


class SqlMeterList(InScope):
    async def linked(
        self, resident_id: int, since: BillingPeriod, *, tariffs: bool = False
    ) -> list[MeterContext]:
        contexts = await SqlMeterRepository().linked_contexts(resident_id)
        ids = [c.meter.id for c in contexts]
        recent = await SqlReadingRepository().recent(ids, since) if ids else {}
        prices: dict[int, list[Tariff]] = {}
        if tariffs:
            for supplier_id in sorted({c.supplier.id for c in contexts}):
                prices[supplier_id] = await SqlTariffRepository().of_supplier(supplier_id)
        history: dict[int, dict[str, list[Reading]]] = {}
        for (meter_id, register), rows in recent.items():
            history.setdefault(meter_id, {})[register] = rows
        return [
            replace(
                c,
                history=history.get(c.meter.id, {}),
                tariffs=prices[c.supplier.id] if tariffs else None,
            )
            for c in contexts
        ]


# The meters of the resident's linked accounts ($1) with their accounts and suppliers (the
# columns of postgres._CONTEXTS, `linked` always true), one row per accepted reading of period
# $2 or later (a meter with none once, with NULL reading columns), each row carrying its
# supplier's tariffs as JSON when $3 (computed once a supplier, NULL when it has none). The
# statement is prepared once a connection and runs on its generic plan, which knows neither the
# resident nor how many meters they have, and is made from the statistics of the moment: `OFFSET
# 0` keeps each join a lookup by key (the resident's links, then each one's account, its meters,
# their readings in the accepted readings' index) whatever the tables' size when planned. A plain
# join was planned as a scan of every reading since $2 (measured on the benchmark's database: all
# of them, for each list), and, planned while `accounts` was still small (before a registry
# import's accounts were analyzed), as a hash of every account: 0.49 ms of PostgreSQL's time a
# list with 8,650 accounts, growing with the city (ADR 0028).
_LINKED = """
    WITH ms AS (
        SELECT m.id, m.account_id, m.supplier_id, m.service, m.serial, m.registers, m.digits,
               m.decimals, m.verification_due, m.status, a.number, a.holder, a.address,
               a.district, s.code, s.name, s.timezone, s.window_rule, s.account_pattern,
               true AS linked, m.revision, m.water_heater
        FROM account_links k
        CROSS JOIN LATERAL (SELECT * FROM accounts a WHERE a.id = k.account_id OFFSET 0) a
        CROSS JOIN LATERAL (SELECT * FROM meters m WHERE m.account_id = a.id OFFSET 0) m
        JOIN suppliers s ON s.id = m.supplier_id
        WHERE k.resident_id = $1
    ), tf AS (
        SELECT t.supplier_id,
               json_agg(json_build_array(t.service, t.price_e4, t.effective_from, t.zone, t.demo)
                        ORDER BY t.effective_from, t.id)::text AS prices
        FROM tariffs t
        WHERE $3 AND t.supplier_id IN (SELECT supplier_id FROM ms)
        GROUP BY t.supplier_id
    )
    SELECT ms.*, r.id, r.meter_id, r.register, r.period, r.value_milli, r.submitted_at,
           r.channel, r.status, r.receipt, r.submission_id, tf.prices
    FROM ms
    LEFT JOIN LATERAL (
        SELECT x.id, x.meter_id, x.register, x.period, x.value_milli, x.submitted_at,
               x.channel, x.status, x.receipt, x.submission_id
        FROM readings x
        WHERE x.meter_id = ms.id AND x.status = 'accepted' AND x.period >= $2
        OFFSET 0
    ) r ON true
    LEFT JOIN tf ON tf.supplier_id = ms.supplier_id
    ORDER BY ms.id, r.register, r.period, r.id
"""
_READING = 22  # where a row's reading columns start
_PRICES = 32  # where its tariffs are


class PgMeterList(InScope):
    async def linked(
        self, resident_id: int, since: BillingPeriod, *, tariffs: bool = False
    ) -> list[MeterContext]:
        rows = await self._raw.fetch(_LINKED, resident_id, since.index, tariffs)
        found: dict[int, MeterContext] = {}
        history: dict[int, dict[str, list[Reading]]] = {}
        prices: dict[int, list[Tariff]] = {}
        for r in rows:
            if r[0] not in found:
                context = context_of(r)
                supplier_id = context.supplier.id
                if tariffs and supplier_id not in prices:
                    prices[supplier_id] = _tariffs(supplier_id, r[_PRICES])
                found[r[0]] = context
                history[r[0]] = {}
            if r[_READING] is not None:
                reading = reading_of(r[_READING:])
                history[r[0]].setdefault(reading.register, []).append(reading)
        return [
            replace(c, history=history[mid], tariffs=prices[c.supplier.id] if tariffs else None)
            for mid, c in found.items()
        ]


def _tariffs(supplier_id: int, prices: str | None) -> list[Tariff]:
    """A supplier's tariffs from the statement's JSON: [service, price_e4, from, zone, demo]."""
    found: list[Any] = json.loads(prices) if prices else []
    return [
        Tariff(
            supplier_id,
            Service(service),
            Decimal(price_e4) / PRICE_SCALE,
            date.fromisoformat(since),
            zone,
            demo,
        )
        for service, price_e4, since, zone, demo in found
    ]
