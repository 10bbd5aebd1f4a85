"""Migrations: from an empty database up to head, matching the tables, and back down."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from komunalka.adapters.db import migrate
from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.tables import metadata
from tests.conftest import BACKENDS


@pytest.mark.parametrize("backend", BACKENDS)
async def test_upgrade_from_empty_matches_the_tables_and_downgrade_removes_them(
    empty_database, backend: str
) -> None:
    engine = create_engine(await empty_database(backend))
    try:
        await migrate.upgrade(engine)
        assert await migrate.current(engine) == migrate.head()
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
            assert diff == []
        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            left = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        assert set(left) <= {"alembic_version"}
        await migrate.upgrade(engine)  # and up again, cleanly
        assert await migrate.current(engine) == migrate.head()
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_upgrading_a_populated_database_keeps_and_fills_its_data(
    empty_database, backend: str
) -> None:
    from sqlalchemy import text

    engine = create_engine(await empty_database(backend))
    try:
        await migrate.upgrade(engine, "0001")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO suppliers (id, code, name, timezone, window_rule, account_pattern,"
                    " services) VALUES (1, 'kte', 'K', 'Europe/Kyiv', '5..-1', '\\d{10}', 'heat')"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO accounts (id, supplier_id, number, holder, address, district)"
                    " VALUES (7, 1, '1000000007', 'Мельник Ірина', 'Київ', '')"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO meters (id, account_id, supplier_id, service, serial, registers,"
                    " digits, decimals, status)"
                    " VALUES (9, 7, 1, 'heat', 'HT9', 'T1', 5, 3, 'active')"
                )
            )
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            number = (await conn.execute(text("SELECT account_number FROM meters"))).scalar_one()
        assert number == "1000000007"
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_outbox_lease_marks_sent_messages_sent_and_the_rest_waiting(
    empty_database, backend: str
) -> None:
    from sqlalchemy import text

    engine = create_engine(await empty_database(backend))
    row = (
        "INSERT INTO outbox (channel, recipient, subject, body, created_at, sent_at)"
        " VALUES ('email', :to, 's', 'b', '2026-11-20 10:00:00+00:00', {sent})"
    )
    try:
        await migrate.upgrade(engine, "0009")
        async with engine.begin() as conn:
            await conn.execute(text(row.format(sent="NULL")), {"to": "a@x"})
            await conn.execute(text(row.format(sent="'2026-11-20 10:01:00+00:00'")), {"to": "b@x"})
        await migrate.upgrade(engine)
        query = text("SELECT recipient, state, attempts FROM outbox ORDER BY recipient")
        async with engine.connect() as conn:
            rows = [tuple(r) for r in await conn.execute(query)]
        assert rows == [("a@x", "waiting", 0), ("b@x", "sent", 0)]
        await migrate.downgrade(engine, "0009")
        async with engine.connect() as conn:
            left = (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar_one()
        assert left == 2
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_terminal_chats_records_move_from_cli_to_terminal_and_back(
    empty_database, backend: str
) -> None:
    """0017: what residents did through the terminal chat (recorded as ``cli`` before) becomes
    ``terminal``; the command line's own work (the system's) stays ``cli``."""
    from sqlalchemy import text

    engine = create_engine(await empty_database(backend))
    at = "'2026-11-20 10:00:00+00:00'"
    rows = [
        "INSERT INTO suppliers (id, code, name, timezone, window_rule, account_pattern, services)"
        " VALUES (1, 'kte', 'K', 'Europe/Kyiv', '5..-1', '\\d{10}', 'heat')",
        "INSERT INTO accounts (id, supplier_id, number, holder, address, district)"
        " VALUES (7, 1, '1000000007', 'Мельник Ірина', 'Київ', '')",
        "INSERT INTO meters (id, account_id, supplier_id, service, serial, registers, digits,"
        " decimals, status, account_number) VALUES (9, 7, 1, 'heat', 'HT9', 'T1', 5, 3,"
        " 'active', '1000000007')",
        f"INSERT INTO residents (id, name, created_at) VALUES (3, 'Т', {at})",
        "INSERT INTO identities (channel, external_id, resident_id, created_at)"
        f" VALUES ('cli', 'terminal', 3, {at})",
        f"INSERT INTO dialog_states (channel, external_id, state, updated_at)"
        f" VALUES ('cli', 'terminal', '{{}}', {at})",
        "INSERT INTO submissions (id, actor_key, fingerprint, channel, created_at)"
        f" VALUES (1, 'resident:3', 'f', 'cli', {at}), (2, 'system:-', 'f', 'cli', {at})",
        "INSERT INTO readings (meter_id, register, period, value_milli, submitted_at, channel,"
        f" status, receipt, submission_id) VALUES (9, 'T1', 24322, 1000, {at}, 'cli',"
        f" 'accepted', 'R1', 1), (9, 'T1', 24321, 900, {at}, 'cli', 'accepted', 'R2', 2)",
        "INSERT INTO audit_log (at, actor_kind, actor_id, on_behalf_of, channel, action,"
        f" subject, details) VALUES ({at}, 'resident', 3, 3, 'cli', 'readings.submit',"
        f" 'submission:1', '{{}}'), ({at}, 'system', NULL, NULL, 'cli', 'readings.submit',"
        " 'submission:2', '{}')",
    ]
    queries = {
        "identity": "SELECT channel FROM identities",
        "dialog": "SELECT channel FROM dialog_states",
        "submissions": "SELECT channel FROM submissions ORDER BY id",
        "readings": "SELECT channel FROM readings ORDER BY submission_id",
        "audit": "SELECT channel FROM audit_log ORDER BY actor_kind",
    }

    async def channels() -> dict[str, list[str]]:
        async with engine.connect() as conn:
            return {k: list((await conn.execute(text(q))).scalars()) for k, q in queries.items()}

    try:
        await migrate.upgrade(engine, "0014")
        async with engine.begin() as conn:
            for row in rows:
                await conn.execute(text(row))
        before = await channels()
        await migrate.upgrade(engine, "0017")
        assert await channels() == {
            "identity": ["terminal"],
            "dialog": ["terminal"],
            "submissions": ["terminal", "cli"],
            "readings": ["terminal", "cli"],
            "audit": ["terminal", "cli"],  # the resident's, then the system's
        }
        await migrate.downgrade(engine, "0014")
        assert await channels() == before
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_readings_sent_before_the_feed_become_its_items_corrections_naming_theirs(
    empty_database, backend: str
) -> None:
    from sqlalchemy import text

    engine = create_engine(await empty_database(backend))
    try:
        await migrate.upgrade(engine, "0014")
        async with engine.begin() as conn:
            for statement in (
                "INSERT INTO suppliers (id, code, name, timezone, window_rule, account_pattern,"
                " services) VALUES (1, 'kte', 'K', 'Europe/Kyiv', '5..-1', '\\d{10}', 'heat')",
                "INSERT INTO accounts (id, supplier_id, number, holder, address, district)"
                " VALUES (7, 1, '1000000007', 'Мельник Ірина', 'Київ', '')",
                "INSERT INTO meters (id, account_id, account_number, supplier_id, service, serial,"
                " registers, digits, decimals, status)"
                " VALUES (9, 7, '1000000007', 1, 'heat', 'HT9', 'T1', 5, 3, 'active')",
            ):
                await conn.execute(text(statement))
            for id_, status, receipt, channel in (
                (1, "accepted", None, "registry"),
                (2, "superseded", "2611-AAAA-AAAA", "web"),
                (3, "accepted", "2611-BBBB-BBBB", "web"),
            ):
                await conn.execute(
                    text(
                        "INSERT INTO readings (id, meter_id, register, period, value_milli,"
                        " submitted_at, channel, status, receipt)"
                        " VALUES (:id, 9, 'T1', :period, 1000, :at, :channel, :status, :receipt)"
                    ),
                    {
                        "id": id_,
                        "period": 24321 if id_ > 1 else 24320,
                        "at": datetime(2026, 11, 20, tzinfo=UTC),
                        "channel": channel,
                        "status": status,
                        "receipt": receipt,
                    },
                )
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT supplier_id, reading_id, replaces_id, period, position"
                        " FROM feed_items ORDER BY id"
                    )
                )
            ).all()
        assert [tuple(r) for r in rows] == [(1, 2, None, 24321, None), (1, 3, 2, 24321, None)]
    finally:
        await engine.dispose()
