"""The audit log's monthly partitions (ADR 0030): on PostgreSQL a row always finds a place,
the clean-up job makes the coming months, old months detach and archive; SQLite is untouched."""

from __future__ import annotations

import asyncio
import csv
import os
import sys
from asyncio.subprocess import PIPE
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

import komunalka as komunalka_package
from komunalka.adapters.db import migrate
from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.partitions import (
    Partition,
    attached,
    create_ahead,
    detach,
    month_start,
)
from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import audit_log
from komunalka.application.system.clean_up import CleanUp
from tests.conftest import BACKENDS
from tests.fakes import FakeClock

NOW = datetime.now(UTC)


def entry(at: datetime, subject: str = "account:1") -> dict[str, object]:
    return {
        "at": at,
        "actor_kind": "resident",
        "channel": "web",
        "action": "reading.submitted",
        "subject": subject,
        "details": "{}",
    }


async def where(engine: AsyncEngine, subject: str) -> list[str]:
    """The partitions holding the audit rows of `subject`."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT tableoid::regclass::text FROM audit_log WHERE subject = :s ORDER BY id"),
            {"s": subject},
        )
        return [r[0] for r in rows]


async def names(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return [p.name for p in await attached(conn, "audit_log")]


def test_months_are_named_and_read_back() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    assert month_start(datetime(2026, 11, 30, 23, tzinfo=UTC), 2) == datetime(
        2027, 1, 1, tzinfo=UTC
    )
    assert month_start(datetime(2027, 1, 1, tzinfo=UTC), -3) == datetime(2026, 10, 1, tzinfo=UTC)
    assert Partition.parse("audit_log_p202611") == Partition(
        "audit_log", "audit_log_p202611", start, datetime(2026, 12, 1, tzinfo=UTC)
    )
    assert Partition.parse("audit_log_until202611") == Partition(
        "audit_log", "audit_log_until202611", None, start
    )
    assert Partition.parse("audit_log_default") is None
    assert Partition.parse("readings_p202611") is None


async def test_postgres_keeps_a_row_of_any_date_and_moves_it_into_its_month(pg) -> None:
    assert await names(pg) == [
        f"audit_log_until{month_start(NOW, 1):%Y%m}",
        *(f"audit_log_p{month_start(NOW, i):%Y%m}" for i in (1, 2, 3)),
    ]
    later = month_start(NOW, 8) + timedelta(days=3)
    async with pg.begin() as conn:
        await conn.execute(audit_log.insert(), [entry(NOW, "now"), entry(later, "later")])
    assert await where(pg, "now") == [f"partitions.audit_log_until{month_start(NOW, 1):%Y%m}"]
    assert await where(pg, "later") == ["partitions.audit_log_default"]
    async with pg.begin() as conn:
        assert await create_ahead(conn, later, ahead=1) == 2
    assert (await names(pg))[-2:] == [
        f"audit_log_p{later:%Y%m}",
        f"audit_log_p{month_start(later, 1):%Y%m}",
    ]
    assert await where(pg, "later") == [f"partitions.audit_log_p{later:%Y%m}"]
    async with pg.begin() as conn:
        assert await create_ahead(conn, later, ahead=1) == 0  # made once


async def test_the_clean_up_job_makes_the_months_ahead(pg) -> None:
    uow = SqlStorage(pg)
    report = await CleanUp(uow, uow.expired_rows, FakeClock(NOW), partitions=uow.partitions)()
    assert report.partitions_made == 0  # the migration made them
    half_year = FakeClock(month_start(NOW, 6))
    report = await CleanUp(uow, uow.expired_rows, half_year, partitions=uow.partitions)()
    assert report.partitions_made == 4  # its month and three ahead
    assert (await names(pg))[-1] == f"audit_log_p{month_start(NOW, 9):%Y%m}"


async def test_old_months_are_detached_and_archived_and_new_rows_still_go_in(
    pg, tmp_path: Path
) -> None:
    async with pg.begin() as conn:
        await conn.execute(
            audit_log.insert(), [entry(NOW, "old"), entry(month_start(NOW, 2), "kept")]
        )
    assert await detach(pg, NOW, tmp_path) == []  # nothing wholly before this month
    detached = await detach(pg, month_start(NOW, 2), tmp_path)
    assert detached == [
        f"audit_log_until{month_start(NOW, 1):%Y%m}",
        f"audit_log_p{month_start(NOW, 1):%Y%m}",
    ]
    async with pg.connect() as conn:
        subjects = [r[0] for r in await conn.execute(select(audit_log.c.subject))]
        left = await conn.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'partitions'")
        )
        assert left.scalar_one() == 3  # default, the month kept and the one after
    assert subjects == ["kept"]
    with (tmp_path / f"{detached[0]}.csv").open(encoding="utf-8") as file:
        archived = list(csv.DictReader(file))
    assert [(r["subject"], r["action"]) for r in archived] == [("old", "reading.submitted")]
    async with pg.begin() as conn:  # a row of a detached month lands in the default partition
        await conn.execute(audit_log.insert(), [entry(NOW, "late")])
    assert await where(pg, "late") == ["partitions.audit_log_default"]


async def test_detaching_without_archive_keeps_the_tables(pg) -> None:
    detached = await detach(pg, month_start(NOW, 2), None)
    async with pg.connect() as conn:
        kept = await conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'partitions'")
        )
        assert set(detached) <= {r[0] for r in kept}


async def komunalka(url: str, *args: str, now: datetime) -> str:
    """`komunalka ARGS` in a process of its own on `url`, the clock at `now`; its output."""
    env = os.environ | {
        "KOMUNALKA_DATABASE_URL": url,
        "KOMUNALKA_NOW": now.isoformat(),
        "KOMUNALKA_LANGUAGE": "en",
        "PYTHONPATH": str(Path(komunalka_package.__file__).parents[1]),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "komunalka", *args, env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_command_detaches_what_is_older_and_says_so(
    empty_database, backend: str, tmp_path: Path
) -> None:
    url = await empty_database(backend)
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        args = ("db", "detach-partitions", "--older-than-months", "2", "--archive", str(tmp_path))
        if backend == "sqlite":
            said = await komunalka(url, *args, now=NOW)
            assert said == "SQLite has no partitions: nothing to detach.\n"
            return
        assert await komunalka(url, *args, now=NOW) == "No partition is that old.\n"
        said = await komunalka(url, *args, now=month_start(NOW, 4))
        until, first = (
            f"audit_log_until{month_start(NOW, 1):%Y%m}",
            f"audit_log_p{month_start(NOW, 1):%Y%m}",
        )
        assert said == f"Partitions detached (2): {until}, {first}.\n"
        assert sorted(os.listdir(tmp_path)) == [f"{first}.csv", f"{until}.csv"]
        assert await names(engine) == [f"audit_log_p{month_start(NOW, i):%Y%m}" for i in (2, 3)]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("months", ["0", "-3", "abc", ""])
async def test_a_bad_age_is_refused_with_a_message_and_detaches_nothing(
    empty_database, months: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from komunalka.bootstrap.cli import app

    url = await empty_database("postgresql")
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        before = await names(engine)
        monkeypatch.setenv("KOMUNALKA_DATABASE_URL", url)
        args = ["db", "detach-partitions", "--older-than-months", months]
        answer = await asyncio.to_thread(CliRunner().invoke, app, args)
        assert answer.exit_code == 2
        assert "--older-than-months" in answer.output
        assert await names(engine) == before
    finally:
        await engine.dispose()


async def test_sqlite_has_one_plain_table_and_nothing_to_detach(empty_database) -> None:
    engine = create_engine(await empty_database("sqlite"))
    try:
        await migrate.upgrade(engine)
        uow = SqlStorage(engine)
        report = await CleanUp(uow, uow.expired_rows, FakeClock(NOW), partitions=uow.partitions)()
        assert report.partitions_made == 0
        assert await detach(engine, NOW, None) is None
        async with engine.begin() as conn:
            await conn.execute(audit_log.insert(), [entry(month_start(NOW, 30))])
            tables = await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            assert not [name for (name,) in tables if name.startswith("audit_log_")]
            assert (await conn.execute(select(func.count()).select_from(audit_log))).scalar() == 1
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_migration_keeps_the_audit_log_both_ways(empty_database, backend: str) -> None:
    engine = create_engine(await empty_database(backend))
    try:
        await migrate.upgrade(engine, "0022")
        async with engine.begin() as conn:
            await conn.execute(audit_log.insert(), [entry(NOW - timedelta(days=400), "a")])
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            await conn.execute(audit_log.insert(), [entry(NOW, "b")])
        await migrate.downgrade(engine, "0022")
        async with engine.begin() as conn:
            await conn.execute(audit_log.insert(), [entry(NOW, "c")])
            rows = (await conn.execute(select(audit_log.c.id, audit_log.c.subject))).all()
        assert sorted(rows) == [(1, "a"), (2, "b"), (3, "c")]
        if backend == "postgresql":
            async with engine.connect() as conn:
                kind = await conn.execute(
                    text("SELECT relkind::text FROM pg_class WHERE oid = 'audit_log'::regclass")
                )
                assert kind.scalar_one() == "r"
                schema = await conn.execute(
                    text("SELECT count(*) FROM pg_namespace WHERE nspname = 'partitions'")
                )
                assert schema.scalar_one() == 0
    finally:
        await engine.dispose()
