"""A new supplier's rows by binary COPY on PostgreSQL (ADR 0010, ADR 0022): accounts, meters
and readings with ids given, the records made as the driver sends them, so that PostgreSQL writes
the first rows of a chunk while the rest are made. Used by PgRegistryStaging (registry_pg.py) for
an account that does not exist with none of its meters existing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from komunalka.adapters.db.registry_jobs import Key
from komunalka.application.suppliers.ports import MergeCounts, StagedRow
from komunalka.domain.meters import MeterStatus

# Ids for $1 new accounts and $2 new meters (both at least one), drawn from the tables' own
# sequences as one block each: the last id of each block. Only an import's step, under the
# import lock, writes either table (registry_pg.py's header), so no other writer draws an id
# between a block's first and its end; a million separate `nextval` calls cost PostgreSQL
# about 0.35 s of a first import.
_IDS = """
    SELECT setval('accounts_id_seq', nextval('accounts_id_seq') + $1 - 1),
           setval('meters_id_seq', nextval('meters_id_seq') + $2 - 1)
"""

ACCOUNT_COLUMNS = ["id", "supplier_id", "number", "holder", "address", "district"]
METER_COLUMNS = [
    "id",
    "account_id",
    "account_number",
    "supplier_id",
    "service",
    "serial",
    "registers",
    "digits",
    "decimals",
    "verification_due",
    "status",
    "registry_import_id",
    "water_heater",
]
READING_COLUMNS = ["meter_id", "register", "period", "value_milli", "submitted_at", "channel"]
READING_COLUMNS += ["status"]


async def copy_new(raw: Any, rows: list[StagedRow], import_id: int, at: datetime) -> MergeCounts:
    """Lands `rows` (new accounts, all their meters new) by binary COPY on `raw`, the step's
    asyncpg connection, in the step's transaction: their accounts (the last row of an account
    wins), meters and readings, with ids drawn up front. Their counts as the merge counts."""
    # the last row wins (account_key written out: a row of a million)
    last: dict[Key, StagedRow] = {(s.supplier_id, s.row.account): s for s in rows}
    last_account, last_meter = await raw.fetchrow(_IDS, len(last), len(rows))
    account_ids = dict(
        zip(last, range(last_account - len(last) + 1, last_account + 1), strict=True)
    )
    meter_ids = range(last_meter - len(rows) + 1, last_meter + 1)
    # Records are made as the driver sends them, so PostgreSQL writes the first while the
    # rest are made, instead of waiting for a whole chunk's list (ADR 0022).
    await raw.copy_records_to_table(
        "accounts", records=_accounts(last, account_ids), columns=ACCOUNT_COLUMNS
    )
    meters = _meters(rows, account_ids, meter_ids, import_id)
    await raw.copy_records_to_table("meters", records=meters, columns=METER_COLUMNS)
    readings = _readings(rows, meter_ids, at)
    await raw.copy_records_to_table("readings", records=readings, columns=READING_COLUMNS)
    read = sum([len(s.row.registers) for s in rows if s.row.period is not None])
    replaced = sum(1 for s in rows if s.row.status is MeterStatus.REPLACED)
    return MergeCounts(0, 0, len(last), len(rows), read, replaced)


def _accounts(last: Mapping[Key, StagedRow], ids: Mapping[Key, int]) -> Iterator[tuple[Any, ...]]:
    return (
        (ids[key], key[0], key[1], s.row.holder, s.row.address, s.row.district)
        for key, s in last.items()
    )


def _meters(
    rows: list[StagedRow], account_ids: Mapping[Key, int], meter_ids: Sequence[int], import_id: int
) -> Iterator[tuple[Any, ...]]:
    return (
        (
            meter_id,
            account_ids[(s.supplier_id, r.account)],
            r.account,
            s.supplier_id,
            r.service.value,
            r.serial,
            "|".join(r.registers),
            r.digits,
            r.decimals,
            r.verification_due,
            r.status.value,
            import_id,
            r.water_heater,
        )
        for s, meter_id in zip(rows, meter_ids, strict=True)
        for r in (s.row,)
    )


def _readings(
    rows: list[StagedRow], meter_ids: Sequence[int], at: datetime
) -> Iterator[tuple[Any, ...]]:
    return (
        (meter_id, register, period.index, value, at, "registry", "accepted")
        for s, meter_id in zip(rows, meter_ids, strict=True)
        if (period := s.row.period) is not None
        for register, value in zip(s.row.registers, s.row.values_milli, strict=True)
    )
