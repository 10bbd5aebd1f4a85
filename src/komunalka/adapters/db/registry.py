"""Bulk registry load in short steps (ADR 0016): chunks of rows are staged in `registry_rows`,
then merged in batches with a few set-based statements, each step in the caller's transaction
of its own. PostgreSQL lands rows no one can have submitted to by COPY while staging, and takes
the listed meters' row locks in id order before merging a batch (registry_pg.py)."""

from __future__ import annotations

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
)
from sqlalchemy.schema import CreateTable

from komunalka.adapters.db.registry_changes import held_meters, settle, stored_of
from komunalka.adapters.db.registry_jobs import (
    add_counts,
    finish_job,
    first_of_each_meter,
    open_job,
)
from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import registry_rows, registry_seen
from komunalka.adapters.db.types import UtcDateTime
from komunalka.application.suppliers.ports import MergeCounts, StagedRow
from komunalka.application.suppliers.registry_staging import ImportJob

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


# Lines of the temporary table whose meter an earlier chunk of this import staged, or found
# unchanged (ADR 0022).
_STAGED_BEFORE = """
    SELECT s.line FROM registry_stage s WHERE EXISTS (
        SELECT 1 FROM registry_rows r
        WHERE r.import_id = :import_id AND r.supplier_id = s.supplier_id AND r.serial = s.serial)
    OR EXISTS (
        SELECT 1 FROM registry_seen r
        WHERE r.import_id = :import_id AND r.supplier_id = s.supplier_id AND r.serial = s.serial)
"""
# Accounts of the temporary table of which an earlier chunk of this import staged a row.
_ACCOUNTS_STAGED = """
    SELECT DISTINCT s.supplier_id, s.account FROM registry_stage s WHERE EXISTS (
        SELECT 1 FROM registry_rows r
        WHERE r.import_id = :import_id AND r.supplier_id = s.supplier_id AND r.account = s.account)
"""
# The temporary table's meters that exist, as stored (registry_changes.Stored).
_STORED = """
    SELECT s.supplier_id, s.serial, a.number, a.holder, a.address, a.district, m.service,
           m.registers, m.digits, m.decimals, m.verification_due, m.status, m.water_heater,
           CASE WHEN s.period IS NOT NULL THEN (
               SELECT group_concat(r.register, '|') FROM readings r
               WHERE r.meter_id = m.id AND r.period = s.period AND r.status = 'accepted') END
    FROM registry_stage s JOIN meters m ON m.supplier_id = s.supplier_id AND m.serial = s.serial
    JOIN accounts a ON a.id = m.account_id
"""
_COLUMN_LIST = ", ".join(COLUMNS)
# Constants built from the table's column names, no input in them.
_KEEP = (
    f"INSERT INTO registry_rows (import_id, duplicate, {_COLUMN_LIST}) "  # noqa: S608
    f"SELECT :import_id, false, {_COLUMN_LIST} FROM registry_stage"
)
_NEXT_BATCH = (
    f"INSERT INTO registry_stage ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} "  # noqa: S608
    "FROM registry_rows WHERE import_id = :import_id AND NOT duplicate ORDER BY line LIMIT :n"
)
_MERGED = """
    DELETE FROM registry_rows WHERE import_id = :import_id AND NOT duplicate
    AND line IN (SELECT line FROM registry_stage)
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
    """The RegistryStaging port with SQL alone (SQLite; PostgreSQL builds on it)."""

    async def open(self, key: str | None, at: datetime, water_heaters: bool) -> ImportJob:
        return await open_job(self._conn, key, at, water_heaters)

    def prepare(self, job: ImportJob, chunk: list[StagedRow]) -> object:
        return None  # nothing to make ahead: SQLite's lookups take the rows as they are

    async def stage(self, job: ImportJob, chunk: list[StagedRow], prepared: object = None) -> None:
        await self._prepare()
        kept, repeats = first_of_each_meter(chunk)
        await self._fill_stage(kept)
        ids = {"import_id": job.id}
        found = {int(r[0]) for r in await self._conn.execute(text(_STAGED_BEFORE), ids)}
        stored = {(r[0], r[1]): stored_of(r[2:]) for r in await self._conn.execute(text(_STORED))}
        accounts = await self._conn.execute(text(_ACCOUNTS_STAGED), ids)
        staged_accounts = {(r[0], r[1]) for r in accounts}
        rows = [s for s in kept if s.line not in found]
        held = held_meters(rows, stored, job.water_heaters)
        merge, same = settle(rows, held, staged_accounts)
        if len(merge) < len(kept):
            await self._fill_stage(merge)
        await self._conn.execute(text(_KEEP), ids)
        if same:
            seen = [
                {"import_id": job.id, "supplier_id": s.supplier_id, "serial": s.row.serial}
                for s in same
            ]
            await self._conn.execute(insert(registry_seen), seen)
        duplicates = sorted(repeats + list(found))
        await self._add_duplicates(job, duplicates)
        counts = MergeCounts(staged=len(chunk), duplicates=len(duplicates), unchanged=len(same))
        await add_counts(self._conn, job, counts, chunk[-1].line)

    async def merge(self, job: ImportJob, batch: int) -> bool:
        await self._prepare()
        await self._fill_stage([])
        ids = {"import_id": job.id}
        taken = await self._conn.execute(text(_NEXT_BATCH), ids | {"n": batch})
        if not taken.rowcount:
            return False
        await self._analyze_stage()
        await self._plan_batch()
        await self._lock_meters()
        counts = await self._upsert(job)
        await self._conn.execute(text(_MERGED), ids)
        await add_counts(self._conn, job, counts)
        return True

    async def finish(self, job: ImportJob) -> tuple[MergeCounts, list[int]]:
        return await finish_job(self._conn, job)

    async def _prepare(self) -> None:
        """Settings for the step's transaction (none on SQLite)."""

    async def _lock_meters(self) -> None:
        """Holds the batch's meters before writing any of them (SQLite's one writer holds all)."""

    async def _analyze_stage(self) -> None:
        """Gives the planner the staged batch's size (PostgreSQL)."""

    async def _plan_batch(self) -> None:
        """Settings for the batch's statements (PostgreSQL: probes by index, see registry_pg)."""

    async def _add_duplicates(self, job: ImportJob, lines: list[int]) -> None:
        if lines:
            rows = [{"import_id": job.id, "line": n, "duplicate": True} for n in lines]
            await self._conn.execute(insert(registry_rows), rows)

    async def _fill_stage(self, chunk: list[StagedRow]) -> None:
        """The temporary table (made once per connection), emptied, then holding `chunk`."""
        await self._conn.execute(CreateTable(stage, if_not_exists=True))
        await self._conn.exec_driver_sql("DELETE FROM registry_stage")
        if chunk:
            records = [stage_record(staged) for staged in chunk]
            await self._conn.execute(
                insert(stage), [dict(zip(COLUMNS, r, strict=True)) for r in records]
            )

    async def _upsert(self, job: ImportJob) -> MergeCounts:
        """Merges the staged rows (none repeating a meter): accounts, meters, then readings."""
        ids = {"import_id": job.id, "water_heaters": job.water_heaters}
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
