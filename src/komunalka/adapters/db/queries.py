"""Bulk reads for suppliers, streamed: COPY ... TO STDOUT on PostgreSQL, a server-side cursor on
SQLite. Neither loads the period whole."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, or_, select, true

from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import accounts, meters, readings
from komunalka.application.suppliers.formats import readings_csv
from komunalka.application.suppliers.ports import ExportRow, NonSubmitter, Sink
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.values import format_value, from_milli

CHUNK = 5_000
# COPY's bound parameter for "no limit": every release moment is before it.
_NO_LIMIT = datetime(9999, 1, 1, tzinfo=UTC)

# Run as COPY (...) TO STDOUT by asyncpg's copy_from_query.
_PG_EXPORT = """
        SELECT m.account_number, m.serial, m.service, r.register, $3::text,
               round(r.value_milli::numeric / 1000, m.decimals),
               date_trunc('second', r.submitted_at AT TIME ZONE 'UTC'),
               r.channel, r.receipt
        FROM readings r
        JOIN meters m ON m.id = r.meter_id
        WHERE m.supplier_id = $1 AND r.period = $2 AND r.status = 'accepted'
          AND (r.release_at IS NULL OR r.release_at <= $4::timestamptz)
"""


def released(by: datetime | None) -> Any:
    """The readings a supplier may see at `by`: not held, or held until then at most (ADR
    0018); every one when `by` is None (a closed period's file: nothing is held past it)."""
    if by is None:
        return true()
    return or_(readings.c.release_at.is_(None), readings.c.release_at <= by)


def _export_query(supplier_id: int, period: BillingPeriod, by: datetime | None) -> Any:
    return (
        select(
            meters.c.account_number,
            meters.c.serial,
            meters.c.service,
            readings.c.register,
            readings.c.value_milli,
            meters.c.decimals,
            readings.c.submitted_at,
            readings.c.channel,
            readings.c.receipt,
        )
        .join(meters, meters.c.id == readings.c.meter_id)
        .where(
            meters.c.supplier_id == supplier_id,
            readings.c.period == period.index,
            readings.c.status == "accepted",
            released(by),
        )
    )


class SqlReadingQueries(InScope):
    """ReadingExports and NonSubmitterQuery."""

    async def export_csv(
        self, supplier_id: int, period: BillingPeriod, sink: Sink, by: datetime | None = None
    ) -> None:
        await sink(readings_csv((), header=True))
        if self._conn.dialect.name == "postgresql":
            raw = (await self._conn.get_raw_connection()).driver_connection
            assert raw is not None
            # The joins of a big supplier's period spill to disk with the default 4 MB. Handing
            # rows over from parallel workers costs little next to writing them out as CSV:
            # priced so, a big period is read and joined by workers in parallel (1.42 s
            # instead of 1.60-1.72 s for a million readings; docs/BENCHMARKS.md).
            await raw.execute(
                "SET LOCAL work_mem = '64MB'; SET LOCAL parallel_setup_cost = 10;"
                " SET LOCAL parallel_tuple_cost = 0.001"
            )
            await raw.copy_from_query(
                _PG_EXPORT,
                supplier_id,
                period.index,
                str(period),
                by or _NO_LIMIT,
                output=sink,
                format="csv",
            )
            return
        async for chunk in self.export_rows(supplier_id, period, by):
            await sink(readings_csv(chunk))

    async def export_rows(
        self, supplier_id: int, period: BillingPeriod, by: datetime | None = None
    ) -> AsyncIterator[Sequence[ExportRow]]:
        shown = str(period)
        result = await self._conn.stream(_export_query(supplier_id, period, by))
        async for rows in result.partitions(CHUNK):
            yield [
                ExportRow(
                    r.account_number,
                    r.serial,
                    r.service,
                    r.register,
                    shown,
                    Decimal(format_value(from_milli(r.value_milli), r.decimals)),
                    r.submitted_at.strftime("%Y-%m-%d %H:%M:%S"),
                    r.channel,
                    r.receipt,
                )
                for r in rows
            ]

    async def non_submitters(
        self, supplier_id: int, period: BillingPeriod, by: datetime | None = None
    ) -> AsyncIterator[NonSubmitter]:
        sent = exists().where(
            readings.c.meter_id == meters.c.id,
            readings.c.period == period.index,
            readings.c.status == "accepted",
            released(by),
        )
        query = (
            select(
                accounts.c.number,
                accounts.c.holder,
                accounts.c.address,
                meters.c.serial,
                meters.c.service,
            )
            .join(accounts, accounts.c.id == meters.c.account_id)
            .where(meters.c.supplier_id == supplier_id, meters.c.status == "active", ~sent)
            .order_by(accounts.c.number, meters.c.serial)
        )
        result = await self._conn.stream(query)
        async for rows in result.partitions(CHUNK):
            for r in rows:
                yield NonSubmitter(r.number, r.holder, r.address, r.serial, r.service)
