"""The hot statements' generic plans probe by key whatever the statistics when they were made.

asyncpg prepares a statement once a connection, and PostgreSQL soon runs it on a generic plan
made from the statistics of that moment, kept for the connection's life. A plan made while a
table was empty or small (a new database, a supplier's first registry not analyzed yet) that
hashes or scans the whole table stays, and grows with the table: the chat's meter list read every
account for each list that way (0.49 ms of PostgreSQL's time per list at 8,650 accounts, ADR
0028), a first import's lookups every meter for each chunk (ADR 0022). Each statement here is
planned generically on a database never analyzed, then on one analyzed while small (the demo's
data), and may read whole only the tables that stay small (suppliers, their tariffs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.db.dialogs import _LOAD, _RECEIVE, _SAVE_DONE
from komunalka.adapters.db.feed import _PG_JSON
from komunalka.adapters.db.meter_list import _LINKED
from komunalka.adapters.db.pg_submissions import _SAVE_ONE, _SNAPSHOT_ONE
from komunalka.adapters.db.postgres import (
    _ADD_ONE,
    _AUDIT,
    _CONTEXTS_ONE,
    _RECENT_ONE,
    _TARIFFS,
)
from komunalka.adapters.db.registry_lookups import ANY_METER, METERS_FOUND, OTHERS_FOUND
from komunalka.adapters.db.registry_pg import LOOKUP_PLANS
from komunalka.adapters.db.storage import SqlStorage
from komunalka.bootstrap.wiring import Wiring
from tests.fakes import FakeClock

SMALL = {"suppliers", "tariffs"}  # a city's suppliers and their prices: tens of rows
# Statements of one key each (those of many, `= ANY($1)`, get a custom plan on every call,
# postgres.py, and are not kept on a generic one).
HOT = {
    "meter list": _LINKED,
    "meter context": _CONTEXTS_ONE,
    "recent readings": _RECENT_ONE,
    "reading added": _ADD_ONE,
    "tariffs": _TARIFFS,
    "audit entry": _AUDIT,
    "feed page": _PG_JSON,
    "submission snapshot": _SNAPSHOT_ONE,
    "submission save": _SAVE_ONE,
    "dialog claim": _RECEIVE,
    "dialog load": _LOAD,
    "dialog save": _SAVE_DONE,
}
# The registry's lookups, planned as the import plans them (LOOKUP_PLANS).
LOOKUPS = {"any meter": ANY_METER, "meters found": METERS_FOUND, "others found": OTHERS_FOUND}


def whole_reads(plan: dict[str, Any]) -> Iterator[str]:
    """The tables a plan reads whole (a sequential scan), but the small ones."""
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") not in SMALL:
        yield plan["Relation Name"]
    for child in plan.get("Plans", ()):
        yield from whole_reads(child)


async def generic_whole_reads(engine: AsyncEngine, sql: str, settings: str = "") -> list[str]:
    params = max(int(n) for n in re.findall(r"\$(\d+)", sql))
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        async with raw.transaction():
            await raw.execute(settings or "SET LOCAL plan_cache_mode = force_generic_plan")
            await raw.execute(f"PREPARE hot AS {sql}")
            nulls = ", ".join(["NULL"] * params)
            (plan,) = await raw.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE hot({nulls})")
            await raw.execute("DEALLOCATE hot")
            await raw.execute("ROLLBACK")  # the statement's writes (there are none: planned only)
            await raw.execute("BEGIN")
    return sorted(set(whole_reads(plan["Plan"])))


# Grown after the analysis by copies of a demo row, as a registry import or a month's turns grow
# them before autovacuum analyzes them again: column -> the copy's value (g counts the copies).
GROWN = {
    "residents": {},
    "accounts": {"number": "'G' || g"},
    "account_links": {
        "resident_id": "(SELECT max(id) FROM residents) - g + 1",
        "account_id": "(SELECT id FROM accounts WHERE number = 'G' || g)",
    },
    "meters": {
        "account_id": "(SELECT id FROM accounts WHERE number = 'G' || g)",
        "account_number": "'G' || g",
        "serial": "'GROWN' || g",
    },
    "readings": {
        "meter_id": "(SELECT id FROM meters WHERE serial = 'GROWN' || g)",
        "receipt": "NULL",
        "submission_id": "NULL",
    },
}
# Tables the demo leaves empty: their rows in full (made after the residents grew).
MADE = {
    "identities": {
        "channel": "'telegram'",
        "external_id": "'grown' || g",
        "resident_id": "(SELECT max(id) FROM residents) - g + 1",
        "created_at": "now()",
    },
    "deliveries": {
        "channel": "'telegram'",
        "delivery_id": "'grown' || g",
        "at": "now()",
        "lease_until": "NULL",
    },
    "dialog_states": {
        "channel": "'telegram'",
        "external_id": "'grown' || g",
        "state": "'{}'",
        "updated_at": "now()",
    },
    "submissions": {
        "actor_key": "'resident:' || g",
        "client_key": "'grown' || g",
        "fingerprint": "'grown'",
        "channel": "'telegram'",
        "created_at": "now()",
    },
}
COPIES = 5_000


async def analyzed_small_then_grown(engine: AsyncEngine) -> None:
    """The demo's data, analyzed, then every hot table grown COPIES rows with autovacuum off."""
    use_cases = Wiring.wire(SqlStorage(engine), FakeClock(datetime(2026, 11, 20, 10, tzinfo=UTC)))
    await use_cases.load_demo()
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        await raw.execute("ANALYZE")
        for table, values in GROWN.items():
            await raw.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
            columns = await raw.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                "AND table_schema = 'public' AND column_name <> 'id' ORDER BY ordinal_position",
                table,
            )
            names = [c[0] for c in columns]
            picked = ", ".join(values.get(n, f"t.{n}") for n in names)
            has_id = await raw.fetchval(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = $1 "
                "AND table_schema = 'public' AND column_name = 'id'",
                table,
            )
            order = "id" if has_id else "1"
            await raw.execute(
                f"INSERT INTO {table} ({', '.join(names)}) SELECT {picked} FROM "
                f"(SELECT * FROM {table} ORDER BY {order} LIMIT 1) t, "
                f"generate_series(1, {COPIES}) g"
            )
        for table, made in MADE.items():
            await raw.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
            await raw.execute(
                f"INSERT INTO {table} ({', '.join(made)}) SELECT {', '.join(made.values())} "
                f"FROM generate_series(1, {COPIES}) g"
            )
        for table in [*GROWN, *MADE]:  # grown indeed (a table without a demo row would not)
            assert await raw.fetchval(f"SELECT count(*) FROM {table}") >= COPIES, table


async def test_hot_statements_probe_by_key_never_analyzed_and_grown_since(pg) -> None:
    for when in ("never analyzed", "analyzed small, grown since"):
        if when != "never analyzed":
            await analyzed_small_then_grown(pg)
        found = {name: await generic_whole_reads(pg, sql) for name, sql in HOT.items()}
        found |= {
            name: await generic_whole_reads(pg, sql, LOOKUP_PLANS) for name, sql in LOOKUPS.items()
        }
        assert {name: tables for name, tables in found.items() if tables} == {}, when
