"""Bulk registry load: stage rows in a temporary table (batched inserts), then merge them with a
few set-based statements inside the caller's transaction. PostgreSQL lands new rows by COPY and
merges only the rest this way (registry_pg.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    Table,
    Text,
    bindparam,
    insert,
    text,
    update,
)

from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import registry_imports
from komunalka.adapters.db.types import UtcDateTime
from komunalka.application.suppliers.ports import MergeCounts, StagedRow

MAX_REGISTERS = 4
BATCH = 5_000

_stage_meta = MetaData()
stage = Table(
    "registry_stage",
    _stage_meta,
    Column("line", Integer),
    Column("supplier_id", Integer),
    Column("account", Text),
    Column("holder", Text),
    Column("address", Text),
    Column("district", Text),
    Column("service", Text),
    Column("serial", Text),
    Column("registers", Text),
    Column("digits", Integer),
    Column("decimals", Integer),
    Column("verification_due", Date),
    Column("status", Text),
    Column("period", Integer),
    *[
        c
        for i in range(1, MAX_REGISTERS + 1)
        for c in (Column(f"r{i}", Text), Column(f"v{i}", Integer))
    ],
    Column("water_heater", Boolean),
    prefixes=["TEMPORARY"],
)
COLUMNS = [c.name for c in stage.columns]


def stage_record(staged: StagedRow) -> tuple[Any, ...]:
    row = staged.row
    pairs: list[Any] = []
    for i in range(MAX_REGISTERS):
        has = row.period is not None and i < len(row.registers)
        pairs += [row.registers[i], row.values_milli[i]] if has else [None, None]
    return (
        staged.line,
        staged.supplier_id,
        row.account,
        row.holder,
        row.address,
        row.district,
        row.service.value,
        row.serial,
        "|".join(row.registers),
        row.digits,
        row.decimals,
        row.verification_due,
        row.status.value,
        row.period.index if row.period else None,
        *pairs,
        row.water_heater,
    )


@dataclass(frozen=True, slots=True)
class Landing:
    """One import, as each of its chunks lands: its id, its time, and whether its file lists
    water heaters (a file without the column leaves the meters' flags as they are)."""

    import_id: int
    at: datetime
    water_heaters: bool


# Lines repeating an earlier line's meter: earlier in this chunk, or landed by an earlier chunk
# of this same import (the meter carries the import's id).
_DUPLICATES = """
    SELECT s.line FROM registry_stage s
    JOIN (SELECT supplier_id, serial, min(line) AS first FROM registry_stage
          GROUP BY supplier_id, serial HAVING count(*) > 1) d
      ON d.supplier_id = s.supplier_id AND d.serial = s.serial
    WHERE s.line > d.first
    UNION ALL
    SELECT s.line FROM registry_stage s
    JOIN meters m ON m.supplier_id = s.supplier_id AND m.serial = s.serial
    WHERE m.registry_import_id = :import_id
"""

_ACCOUNTS = {
    # The last row of an account wins (a registry lists an account once per meter).
    "postgresql": """
        INSERT INTO accounts (supplier_id, number, holder, address, district)
        SELECT DISTINCT ON (supplier_id, account) supplier_id, account, holder, address, district
        FROM registry_stage ORDER BY supplier_id, account, line DESC
        ON CONFLICT (supplier_id, number) DO UPDATE
        SET holder = excluded.holder, address = excluded.address, district = excluded.district
        WHERE (accounts.holder, accounts.address, accounts.district)
              IS DISTINCT FROM (excluded.holder, excluded.address, excluded.district)
    """,
    # SQLite takes the bare columns of a GROUP BY from the row holding max(line).
    "sqlite": """
        INSERT INTO accounts (supplier_id, number, holder, address, district)
        SELECT supplier_id, account, holder, address, district
        FROM (SELECT supplier_id, account, holder, address, district, max(line)
              FROM registry_stage GROUP BY supplier_id, account)
        WHERE true
        ON CONFLICT (supplier_id, number) DO UPDATE
        SET holder = excluded.holder, address = excluded.address, district = excluded.district
        WHERE accounts.holder IS NOT excluded.holder OR accounts.address IS NOT excluded.address
              OR accounts.district IS NOT excluded.district
    """,
}

# A meter listed again moves its revision on (ADR 0009): a submission judged before the import
# changed the meter or added its reading is written only after judging it again. Its water-heater
# flag is the file's when the file lists them; else it stays, unless the meter is no longer one
# of hot water (only those may carry it).
_METERS = """
    INSERT INTO meters (account_id, account_number, supplier_id, service, serial, registers,
                        digits, decimals, verification_due, status, registry_import_id,
                        water_heater)
    SELECT a.id, a.number, s.supplier_id, s.service, s.serial, s.registers, s.digits,
           s.decimals, s.verification_due, s.status, :import_id, s.water_heater
    FROM registry_stage s JOIN accounts a ON a.supplier_id = s.supplier_id AND a.number = s.account
    WHERE true
    ON CONFLICT (supplier_id, serial) DO UPDATE
    SET account_id = excluded.account_id, account_number = excluded.account_number,
        service = excluded.service,
        registers = excluded.registers, digits = excluded.digits, decimals = excluded.decimals,
        verification_due = excluded.verification_due, status = excluded.status,
        registry_import_id = excluded.registry_import_id,
        water_heater = CASE WHEN :water_heaters THEN excluded.water_heater
                            ELSE meters.water_heater AND excluded.service = 'hot_water' END,
        revision = meters.revision + 1
"""

_READINGS = """
    INSERT INTO readings (meter_id, register, period, value_milli, submitted_at, channel, status)
    SELECT m.id, x.register, x.period, x.value, :now, 'registry', 'accepted'
    FROM ({union}) x JOIN meters m ON m.supplier_id = x.supplier_id AND m.serial = x.serial
    WHERE true
    ON CONFLICT (meter_id, register, period) WHERE status = 'accepted' DO NOTHING
"""
# A constant built from column numbers, no input in it.
_UNION = " UNION ALL ".join(
    f"SELECT supplier_id, serial, period, r{i} AS register, v{i} AS value "  # noqa: S608
    f"FROM registry_stage WHERE r{i} IS NOT NULL"
    for i in range(1, MAX_REGISTERS + 1)
)


class SqlRegistryStaging(InScope):
    async def load(
        self,
        chunks: AsyncIterator[list[StagedRow]],
        at: datetime,
        on_duplicate: Callable[[int], None],
        *,
        water_heaters: bool = False,
    ) -> MergeCounts:
        add = insert(registry_imports).values(at=at).returning(registry_imports.c.id)
        import_id = int((await self._conn.execute(add)).scalar_one())
        job = Landing(import_id, at, water_heaters)
        await self._prepare()
        await self._conn.exec_driver_sql("DROP TABLE IF EXISTS registry_stage")
        await self._conn.run_sync(lambda sync: stage.create(sync))
        totals = MergeCounts()
        landing: asyncio.Task[MergeCounts] | None = None
        try:
            async for chunk in chunks:  # the next chunk is checked while the last one lands
                if not chunk:  # every row of it was refused: nothing to land
                    continue
                if landing is not None:
                    totals += await landing
                    landing = None
                landing = asyncio.create_task(self._land(chunk, job, on_duplicate))
            if landing is not None:
                totals += await landing
                landing = None
        finally:
            if landing is not None:  # the source failed: let the chunk land before rollback
                await asyncio.gather(landing, return_exceptions=True)
        await self._conn.exec_driver_sql("DROP TABLE registry_stage")
        done = update(registry_imports).where(registry_imports.c.id == import_id)
        await self._conn.execute(done.values(rows=totals.staged, meters=totals.meters))
        return totals

    async def _prepare(self) -> None:
        """Settings for the import's transaction (none on SQLite)."""

    async def _land(
        self, chunk: list[StagedRow], job: Landing, on_duplicate: Callable[[int], None]
    ) -> MergeCounts:
        await self._stage(chunk)
        ids = {"import_id": job.import_id}
        lines = [int(r[0]) for r in await self._conn.execute(text(_DUPLICATES), ids)]
        for line in sorted(lines):
            on_duplicate(line)
        if lines:
            delete = f"DELETE FROM registry_stage WHERE line IN ({_DUPLICATES})"  # noqa: S608
            await self._conn.execute(text(delete), ids)
        return MergeCounts(len(chunk), len(lines)) + await self._upsert(job)

    async def _stage(self, chunk: list[StagedRow]) -> None:
        await self._conn.exec_driver_sql("DELETE FROM registry_stage")
        records = [stage_record(staged) for staged in chunk]
        await self._conn.execute(
            insert(stage), [dict(zip(COLUMNS, r, strict=True)) for r in records]
        )

    async def _upsert(self, job: Landing) -> MergeCounts:
        """Merges the staged rows (none repeating a meter): accounts, meters, then readings."""
        ids = {"import_id": job.import_id, "water_heaters": job.water_heaters}
        dialect = self._conn.dialect.name
        accounts = (await self._conn.execute(text(_ACCOUNTS[dialect]))).rowcount
        meters = (await self._conn.execute(text(_METERS), ids)).rowcount
        add_readings = text(_READINGS.format(union=_UNION)).bindparams(
            bindparam("now", type_=UtcDateTime())
        )
        added = (await self._conn.execute(add_readings, {"now": job.at})).rowcount
        replaced = await self._conn.scalar(
            text("SELECT count(*) FROM registry_stage WHERE status = 'replaced'")
        )
        return MergeCounts(0, 0, accounts, meters, added, int(replaced or 0))
