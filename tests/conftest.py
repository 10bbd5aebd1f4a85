"""Storage fixtures: every test that asks for `uow` or `engine` runs on SQLite and on PostgreSQL.

PostgreSQL comes from KOMUNALKA_TEST_POSTGRES_URL (default: the local server, database `test`);
each run works in a database of its own, created and dropped here. Without a reachable server
those tests are skipped with the reason, except under CI (CI=true), where any skip fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from komunalka.adapters.db import migrate
from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import metadata

POSTGRES_URL = os.environ.get(
    "KOMUNALKA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ("sqlite", "postgresql")


async def create_postgres_database() -> str:
    """A new empty database on the test server; its URL."""
    name = f"komunalka_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except (OSError, ConnectionError) as exc:
        reason = (
            f"PostgreSQL is not reachable at {make_url(POSTGRES_URL).render_as_string()}: {exc}"
        )
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        await admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        name = make_url(url).database
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
async def empty_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A factory of empty databases of one backend, cleaned up at the end of the session."""
    made: list[str] = []

    async def make(backend: str) -> str:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("sqlite") / f"{uuid.uuid4().hex[:8]}.db"
            url = f"sqlite+aiosqlite:///{path}"
        else:
            url = await create_postgres_database()
            made.append(url)
        return url

    yield make
    for url in made:
        await drop_postgres_database(url)


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, empty_database) -> str:
    """A migrated database per backend, shared by the session (tables emptied after each test)."""
    url = await empty_database(request.param)
    engine = create_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await empty_tables(engine)
    await engine.dispose()


@pytest.fixture
def uow(engine: AsyncEngine) -> SqlStorage:
    return SqlStorage(engine)


async def empty_tables(engine: AsyncEngine) -> None:
    names = [t.name for t in reversed(metadata.sorted_tables)]
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                await conn.execute(text(f"DELETE FROM {name}"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"uow", "engine", "database_url", "empty_database", "storage"} & set(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.db)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if IN_CI and skipped and exitstatus == 0:
        reporter.write_line(
            f"CI: {len(skipped)} test(s) skipped; a skip is a failure here", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
