"""Contract tests: one per port, run against its in-memory fake (tests/fakes.py) and its
database adapters on SQLite and PostgreSQL, so a fake can never drift from what it stands for.

`storage` is what the composition root hands out: it opens transactions and holds one repository
of each kind (`storage.accounts`, …), each acting in the transaction its task has open."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from komunalka.adapters.db import migrate
from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.storage import SqlStorage
from tests.conftest import empty_tables
from tests.fakes import InMemoryStore

STORAGES = ("memory", "sqlite", "postgresql")


@pytest.fixture(scope="session")
async def migrated(empty_database) -> Callable[[str], Awaitable[str]]:  # type: ignore[no-untyped-def]
    """A migrated database per backend, made on first use and shared by the session."""
    urls: dict[str, str] = {}

    async def get(backend: str) -> str:
        if backend not in urls:
            url = await empty_database(backend)
            engine = create_engine(url)
            await migrate.upgrade(engine)
            await engine.dispose()
            urls[backend] = url
        return urls[backend]

    return get


@pytest.fixture(params=STORAGES)
async def storage(request: pytest.FixtureRequest, migrated) -> AsyncIterator[object]:  # type: ignore[no-untyped-def]
    if request.param == "memory":
        yield InMemoryStore()
        return
    engine = create_engine(await migrated(request.param))
    yield SqlStorage(engine)
    await empty_tables(engine)
    await engine.dispose()
