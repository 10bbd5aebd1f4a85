"""PostgreSQL's monthly partitions of the audit log (ADR 0030). SQLite has none: same logical
schema, one plain table.

`audit_log` is partitioned by range of `at`, a month a partition, in the schema `partitions`
(so the application's schema lists one table, and a detached month stays beside the others):
- `audit_log_pYYYYMM` holds that month; `audit_log_untilYYYYMM` everything before that month
  (the rows the table had when migration 0023 converted it, attached as they were, uncopied);
- `audit_log_default` takes a row no month holds: a write never fails for want of a partition.
  The clean-up job makes the coming months ahead (`PgPartitions.create_ahead`), moving into a
  new month any rows the default partition took for it;
- `komunalka db detach-partitions` detaches months older than N (`detach_older`), and may
  write each to a CSV file and drop it (`archive`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from komunalka.adapters.db.scope import current

SCHEMA = "partitions"
PARTITIONED = {"audit_log": "at"}  # table: its partition key, a timestamp
AHEAD = 3  # months made ahead of the current one
_LOCK = 7_302_030  # the advisory lock two workers making partitions at once take in turn
_NAME = re.compile(r"^(?P<table>[a-z_]+)_(?P<kind>p|until)(?P<year>\d{4})(?P<month>\d{2})$")


def month_start(moment: datetime, months_later: int = 0) -> datetime:
    """The first instant (UTC) of the month `months_later` after the one of `moment`."""
    moment = moment.astimezone(UTC)
    index = moment.year * 12 + moment.month - 1 + months_later
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Partition:
    table: str
    name: str
    start: datetime | None  # None: from the beginning of time
    end: datetime

    @classmethod
    def parse(cls, name: str) -> Partition | None:
        """The partition a name stands for; None for the default one (and any other)."""
        found = _NAME.match(name)
        if found is None or found["table"] not in PARTITIONED:
            return None
        month = datetime(int(found["year"]), int(found["month"]), 1, tzinfo=UTC)
        if found["kind"] == "until":
            return cls(found["table"], name, None, month)
        return cls(found["table"], name, month, month_start(month, 1))


# The months ahead are made by the schema's owner on the caller's behalf: the services' role
# may not create or attach tables (deploy/postgresql/roles.sql). A new month is built apart,
# filled with the rows the default partition took for it, then attached (attaching locks writers
# out of the default partition only, never out of the table). Migration 0023 creates it.
MONTHS_AHEAD = r"""
CREATE OR REPLACE FUNCTION audit_log_months_ahead(since timestamptz, ahead integer)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET timezone = 'UTC' AS $fn$
DECLARE
    start timestamptz;
    name text;
    made integer := 0;
BEGIN
    IF ahead NOT BETWEEN 0 AND 24 THEN
        RAISE EXCEPTION 'months ahead: 0 to 24, not %', ahead;
    END IF;
    PERFORM pg_advisory_xact_lock(7302030);
    FOR i IN 0..ahead LOOP
        start := date_trunc('month', since) + make_interval(months => i);
        name := 'audit_log_p' || to_char(start, 'YYYYMM');
        CONTINUE WHEN EXISTS (
            SELECT FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
            WHERE h.inhparent = 'audit_log'::regclass
              AND (c.relname = name OR (c.relname LIKE 'audit\_log\_until%'
                                        AND substr(c.relname, 16) > to_char(start, 'YYYYMM'))));
        EXECUTE format('CREATE TABLE partitions.%I (LIKE audit_log INCLUDING DEFAULTS)', name);
        EXECUTE format('WITH moved AS (DELETE FROM partitions.audit_log_default'
                       ' WHERE at >= %L AND at < %L RETURNING *)'
                       ' INSERT INTO partitions.%I SELECT * FROM moved',
                       start, start + interval '1 month', name);
        EXECUTE format('ALTER TABLE audit_log ATTACH PARTITION partitions.%I'
                       ' FOR VALUES FROM (%L) TO (%L)', name, start, start + interval '1 month');
        made := made + 1;
    END LOOP;
    RETURN made;
END
$fn$
"""


async def attached(conn: AsyncConnection, table: str) -> list[Partition]:
    """The partitions of `table` now attached (the default one left out)."""
    rows = await conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(:table)"
        ),
        {"table": table},
    )
    found = (Partition.parse(name) for (name,) in rows)
    return sorted((p for p in found if p is not None), key=lambda p: p.end)


async def create_ahead(conn: AsyncConnection, now: datetime, ahead: int = AHEAD) -> int:
    """Makes the months from the one of `now` to `ahead` later that are missing; how many."""
    made = await conn.execute(
        text("SELECT audit_log_months_ahead(:now, :ahead)"), {"now": now, "ahead": ahead}
    )
    return int(made.scalar_one())


async def detach_older(conn: AsyncConnection, before: datetime) -> list[str]:
    """Detaches every partition wholly before the month of `before`; their names (the tables
    stay, in the schema `partitions`, out of the audit log's reach)."""
    await conn.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK})"))  # not while making months
    # DETACH locks the table out (with a default partition it cannot be CONCURRENTLY): wait for
    # it 5 s at most, so writers queued behind a long transaction are not held up: try again.
    await conn.execute(text("SET LOCAL lock_timeout = '5s'"))
    cutoff, names = month_start(before), []
    for table in PARTITIONED:
        for partition in await attached(conn, table):
            if partition.end <= cutoff:
                await conn.execute(
                    text(f"ALTER TABLE {table} DETACH PARTITION {SCHEMA}.{partition.name}")
                )
                names.append(partition.name)
    return names


async def archive(conn: AsyncConnection, name: str, directory: Path) -> Path:
    """Writes a detached partition to `directory`/`name`.csv (with a header), then drops it."""
    if Partition.parse(name) is None:
        raise ValueError(f"not a partition: {name}")
    directory.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (a CLI command's, once)
    path = directory / f"{name}.csv"
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    await raw.copy_from_table(name, schema_name=SCHEMA, output=str(path), format="csv", header=True)
    await conn.execute(text(f"DROP TABLE {SCHEMA}.{name}"))
    return path


async def detach(engine: AsyncEngine, before: datetime, directory: Path | None) -> list[str] | None:
    """`komunalka db detach-partitions`: detaches (one transaction) the months before the one of
    `before`, then, given a directory, archives each (a transaction each, so a failure keeps the
    table); the names, or None on SQLite (no partitions)."""
    if engine.dialect.name != "postgresql":
        return None
    async with engine.begin() as conn:
        names = await detach_older(conn, before)
    if directory is not None:
        for name in names:
            async with engine.begin() as conn:
                await archive(conn, name, directory)
    return names


class PgPartitions:
    """`Partitions` on PostgreSQL, in the caller's transaction."""

    async def create_ahead(self, now: datetime) -> int:
        return await create_ahead(current().conn, now)


class NoPartitions:
    """`Partitions` on SQLite: one plain table, nothing to make."""

    async def create_ahead(self, now: datetime) -> int:
        return 0
