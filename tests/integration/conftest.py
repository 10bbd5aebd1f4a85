"""Fixtures of the integration tests beside the session's shared databases (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.db import migrate
from komunalka.adapters.db.engine import create_engine


@pytest.fixture
async def pg(empty_database) -> AsyncIterator[AsyncEngine]:
    """A migrated PostgreSQL database of the test's own, for a test that changes what the
    shared one must keep (partitions made and detached, statistics, table settings)."""
    engine = create_engine(await empty_database("postgresql"))
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()
