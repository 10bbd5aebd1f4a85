"""Bulk registry load on PostgreSQL: what is new goes straight in by COPY, the rest is staged
and merged in batches that take their meters' row locks in id order (ADR 0010, ADR 0016).

A registry lists mostly meters the database does not have yet (a supplier's first import) or
mostly meters it has (the next month's). Per chunk, one indexed lookup finds which of the
chunk's accounts and meters exist. An account that does not exist, with none of its meters
existing, lands by binary COPY into `accounts`, `meters` and `readings` (registry_copy.py),
with ids drawn from the tables' own sequences up front: no staging table, no conflict probe, no
join back. Every other
row is staged in `registry_rows` and merged later in batches (SqlRegistryStaging): the same
upserts as on SQLite. Nobody can have submitted to a meter of an account that did not exist, so
the COPY holds nothing a resident waits for.

The foreign keys stay and are checked row by row as ever; they are most of what the COPY costs
(docs/BENCHMARKS.md). Every step of an import takes a transaction-scoped advisory lock, so the
steps of two imports run one after the other and nothing else can add an account or meter
between the lookup and the COPY: only the registry import writes either table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.schema import CreateTable

from komunalka.adapters.db.registry import COLUMNS, SqlRegistryStaging, stage, stage_record
from komunalka.adapters.db.registry_changes import settle
from komunalka.adapters.db.registry_copy import copy_new
from komunalka.adapters.db.registry_jobs import (
    Key,
    account_key,
    add_counts,
    meter_key,
)
from komunalka.adapters.db.registry_lookups import (
    ANY_METER,
    METERS_FOUND,
    OTHERS_FOUND,
    Prepared,
    contents_of,
    periods_of,
    prepared_of,
)
from komunalka.application.suppliers.ports import MergeCounts, StagedRow
from komunalka.application.suppliers.registry_staging import ImportJob

# (classid, objid) of the two-key advisory lock that serializes imports (the schema takes no
# other advisory lock; submissions hold meters by row lock, ADR 0009).
_IMPORT_LOCK = "SELECT pg_advisory_xact_lock(1263488835, 1)"

# A duplicate's record in registry_rows: its line alone (every other column of the row empty).
_NO_ROW = (None,) * (len(COLUMNS) - 1)


@dataclass(slots=True)
class ChunkSplit:
    """A chunk's rows by the way they land."""

    duplicates: list[int] = field(default_factory=list)  # lines repeating an earlier meter
    new: list[StagedRow] = field(default_factory=list)  # new account, all its meters new
    existing: list[StagedRow] = field(default_factory=list)  # the rest: merged


@dataclass(slots=True)
class Found:
    """What the database holds of a chunk's keys."""

    meters: dict[Key, int | None]  # meter -> the import that last listed it (or staged it)
    held: set[Key]  # existing meters the database holds as their rows list them
    accounts: set[Key]  # existing accounts, and those with a row staged by this import
    staged_accounts: set[Key]  # accounts with a row staged by this import


def split_chunk(
    kept: list[StagedRow],
    repeats: list[int],
    meters_found: Mapping[Key, int | None],
    accounts_found: set[Key],
    import_id: int,
) -> ChunkSplit:
    """Rows whose meter this import already landed are repeats too; an account goes whole to
    COPY when neither it nor any of its meters exists, else whole to the merge (so the last row
    of an account wins either way)."""
    split = ChunkSplit(duplicates=list(repeats))
    if not meters_found and not accounts_found:  # a new supplier's rows: all of them new
        split.new = list(kept)
        split.duplicates.sort()
        return split
    merged: set[Key] = set(accounts_found)
    rows: list[StagedRow] = []
    for staged in kept:
        key = meter_key(staged)
        if key in meters_found:
            if meters_found[key] == import_id:
                split.duplicates.append(staged.line)
                continue
            merged.add(account_key(staged))
        rows.append(staged)
    for staged in rows:
        (split.existing if account_key(staged) in merged else split.new).append(staged)
    split.duplicates.sort()
    return split


# The batch's meters, held in id order as multi-meter submissions hold theirs (ADR 0009), so
# the two never deadlock; then a submission to one of them waits for this batch alone.
_LOCK_METERS = """
    SELECT m.id FROM registry_stage s
    JOIN meters m ON m.supplier_id = s.supplier_id AND m.serial = s.serial
    ORDER BY m.id FOR NO KEY UPDATE OF m
"""
ROW_COLUMNS = ["import_id", "duplicate", *COLUMNS]
# How the lookups are planned (PgRegistryStaging._existing; tests/integration/test_generic_plans).
LOOKUP_PLANS = "SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL enable_seqscan = off"
# How many rows the planner counts in a table (-1: never analyzed).
_RELTUPLES = "SELECT reltuples FROM pg_class WHERE oid = $1::regclass"


class PgRegistryStaging(SqlRegistryStaging):
    """SqlRegistryStaging with new rows copied straight into their tables (see the module)."""

    async def _prepare(self) -> None:
        await self._raw.execute(_IMPORT_LOCK)
        await self._raw.execute("SET LOCAL work_mem = '64MB'")
        # Each statement here is cheap per row and run many times: compiling it never pays.
        await self._raw.execute("SET LOCAL jit = off")

    # Whether the last chunk staged had a meter that exists. Only then are the next chunk's
    # contents made ahead: a new supplier's chunks need its keys alone (ADR 0022).
    _found_meters = False

    def prepare(self, job: ImportJob, chunk: list[StagedRow]) -> Prepared:
        return prepared_of(chunk, job.water_heaters if self._found_meters else None)

    async def stage(self, job: ImportJob, chunk: list[StagedRow], prepared: object = None) -> None:
        await self._prepare()
        if not isinstance(prepared, Prepared):
            prepared = prepared_of(chunk, None)
        kept, repeats = prepared.kept, prepared.repeats
        found = await self._existing(prepared, job)
        split = split_chunk(kept, repeats, found.meters, found.accounts, job.id)
        merge, same = settle(split.existing, found.held, found.staged_accounts)
        counts = MergeCounts(
            staged=len(chunk), duplicates=len(split.duplicates), unchanged=len(same)
        )
        if split.new:
            counts += await copy_new(self._raw, split.new, job.id, job.at)
        records = [(job.id, False, *stage_record(s)) for s in merge]
        records += [(job.id, True, line, *_NO_ROW) for line in split.duplicates]
        if records:
            await self._raw.copy_records_to_table(
                "registry_rows", records=records, columns=ROW_COLUMNS
            )
            await self._analyze_if_unknown("registry_rows", len(records))
        if same:
            seen = [(job.id, s.supplier_id, s.row.serial) for s in same]
            await self._raw.copy_records_to_table(
                "registry_seen", records=seen, columns=["import_id", "supplier_id", "serial"]
            )
            await self._analyze_if_unknown("registry_seen", len(seen))
        await add_counts(self._conn, job, counts, chunk[-1].line)

    async def _analyze_if_unknown(self, table: str, written: int) -> None:
        """The next chunk's probes and the batches' scans go by index only if the planner knows
        the table is not empty (it was, when last analyzed: an import empties its rows at the
        end). Analyzed while the planner counts fewer rows than the chunk just wrote, so once or
        twice an import, not after every chunk (ADR 0022)."""
        known = await self._raw.fetchval(_RELTUPLES, table)
        if known is None or known < written:
            await self._raw.execute(f"ANALYZE {table}")

    async def _lock_meters(self) -> None:
        await self._raw.execute(_LOCK_METERS)

    async def _analyze_stage(self) -> None:
        await self._raw.execute("ANALYZE registry_stage")

    async def _plan_batch(self) -> None:
        # A batch of 5,000 rows joins `meters` and `accounts` by their unique keys. Costed as if
        # read from disk, 5,000 index probes looked dearer than reading the whole table into a
        # hash, so every batch read all the supplier's meters and accounts, again and again: a
        # re-import's merge grew with the size of the tables, not of the batch (ADR 0022).
        await self._raw.execute("SET LOCAL enable_hashjoin = off")
        await self._raw.execute("SET LOCAL enable_mergejoin = off")

    async def _fill_stage(self, chunk: list[StagedRow]) -> None:
        await self._conn.execute(CreateTable(stage, if_not_exists=True))
        await self._raw.execute("TRUNCATE registry_stage")
        if chunk:
            records = [stage_record(staged) for staged in chunk]
            await self._raw.copy_records_to_table(
                "registry_stage", records=records, columns=COLUMNS
            )

    async def _existing(self, prepared: Prepared, job: ImportJob) -> Found:
        if not prepared.kept:
            return Found({}, set(), set(), set())
        # A custom plan would fold each chunk's keys into literal arrays and plan them anew
        # (30-100 ms a lookup); the generic plan is the same probes, planned once a connection.
        # The step's other statements keep custom plans (a failed lookup ends the transaction,
        # and its settings with it). The generic plan is made at a connection's first lookup,
        # when a new supplier's tables may still be empty: planned for them as they are then,
        # it would read the whole table at every later chunk (each lookup slower than the last:
        # 27 ms at the first chunk, 104 ms at the twentieth). Each lookup is probes by key,
        # so it is planned as probes whatever the table's size when planned.
        await self._raw.execute(LOOKUP_PLANS)
        found = await self._look_up(prepared, job)
        await self._raw.execute("SET LOCAL plan_cache_mode = auto; SET LOCAL enable_seqscan = on")
        return found

    async def _look_up(self, prepared: Prepared, job: ImportJob) -> Found:
        # Keys travel as one string each: serials and account numbers hold no space (their
        # patterns say so), and the driver encodes a string far faster than a text array.
        kept, supplier_ids, serials = prepared.kept, prepared.supplier_ids, prepared.serials
        found = []
        self._found_meters = bool(await self._raw.fetchval(ANY_METER, supplier_ids, serials))
        if self._found_meters:
            heaters = job.water_heaters
            periods, contents = prepared.periods, prepared.contents
            if periods is None or contents is None:
                periods, contents = periods_of(kept), contents_of(kept, heaters)
            found = await self._raw.fetch(
                METERS_FOUND, supplier_ids, serials, periods, contents, heaters
            )
        meters: dict[Key, int | None] = {(r[0], r[1]): r[2] for r in found}
        held = {(r[0], r[1]) for r in found if r[3]}
        accounts = prepared.accounts
        # Only an account none of whose meters exist may be new: the others are probed no more.
        unknown = (
            accounts
            - {
                (s.supplier_id, s.row.account)
                for s in kept
                if (s.supplier_id, s.row.serial) in meters
            }
            if meters
            else accounts
        )
        others = await self._raw.fetch(
            OTHERS_FOUND,
            supplier_ids,
            serials,
            ",".join([str(k[0]) for k in unknown]),
            " ".join([k[1] for k in unknown]),
            job.id,
            ",".join([str(k[0]) for k in accounts]),
            " ".join([k[1] for k in accounts]),
        )
        meters |= {(r[1], r[2]): job.id for r in others if r[0] == "s"}
        staged_accounts = {(r[1], r[2]) for r in others if r[0] == "t"}
        existing = {(r[1], r[2]) for r in others if r[0] == "a"}
        existing |= accounts - unknown
        return Found(meters, held, existing | staged_accounts, staged_accounts)
