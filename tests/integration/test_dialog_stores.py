"""Dialog state stores: the in-memory fake, the database's (SQLite, PostgreSQL) and Redis, the
same contract."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.db.dialogs import SqlDialogStateStore
from komunalka.adapters.db.tables import dialog_states
from komunalka.adapters.redis_dialogs import TTL_SECONDS, RedisDialogStateStore
from tests.conftest import IN_CI
from tests.fakes import InMemoryDialogStore

REDIS_URL = os.environ.get("KOMUNALKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
STATE = {"step": "send", "queue": [{"meter": 1, "zone": "day", "previous": "1200"}], "pos": 0}


async def check_contract(store: object) -> None:
    user = uuid.uuid4().hex
    assert await store.load("telegram", user) is None  # type: ignore[attr-defined]
    await store.save("telegram", user, STATE)  # type: ignore[attr-defined]
    loaded = await store.load("telegram", user)  # type: ignore[attr-defined]
    assert loaded == STATE
    loaded["queue"].clear()  # what the caller does with it is not kept
    assert await store.load("telegram", user) == STATE  # type: ignore[attr-defined]
    await store.save("telegram", user, {"step": "menu", "мова": "uk"})  # type: ignore[attr-defined]
    assert await store.load("telegram", user) == {"step": "menu", "мова": "uk"}  # type: ignore[attr-defined]
    assert await store.load("viber", user) is None  # type: ignore[attr-defined]
    await check_deliveries(store, user)


async def check_deliveries(store: Any, user: str) -> None:
    """A delivery is first once, with the user's state; twins racing each other: one wins."""
    update = uuid.uuid4().hex
    assert await store.receive("telegram", user, update) == (True, {"step": "menu", "мова": "uk"})
    assert await store.receive("telegram", user, update) == (False, None)
    assert await store.receive("viber", user, update) == (True, None)  # ids are per channel
    twins = [store.receive("telegram", user, f"{update}-2") for _ in range(5)]
    firsts = [first for first, _ in await asyncio.gather(*twins)]
    assert firsts.count(True) == 1


# Stored texts that are no state: the store hands back none, and the conversation starts afresh.
CORRUPT = ['{"step": "send", "queue": [', "[1, 2]", '"send"', "null"]


async def check_corrupt(store: Any, user: str) -> None:
    assert await store.load("telegram", user) is None
    assert await store.receive("telegram", user, uuid.uuid4().hex) == (True, None)


async def test_the_in_memory_store_keeps_each_users_state() -> None:
    await check_contract(InMemoryDialogStore())


async def test_the_database_store_keeps_each_users_state(engine) -> None:
    await check_contract(SqlDialogStateStore(engine))


@pytest.mark.parametrize("corrupt", CORRUPT)
async def test_the_database_store_reads_a_corrupt_row_as_no_state(
    engine: AsyncEngine, corrupt: str
) -> None:
    user = uuid.uuid4().hex
    async with engine.begin() as conn:
        row = {"channel": "telegram", "external_id": user, "state": corrupt}
        await conn.execute(dialog_states.insert().values(updated_at=datetime.now(UTC), **row))
    await check_corrupt(SqlDialogStateStore(engine), user)


async def test_the_redis_store_keeps_each_users_state_and_lets_it_expire() -> None:
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except (RedisConnectionError, OSError) as exc:
        reason = f"Redis is not reachable at {REDIS_URL}: {exc}"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    store = RedisDialogStateStore(redis, prefix=f"test:{uuid.uuid4().hex}")
    try:
        await check_contract(store)
        for corrupt in [*CORRUPT, b"\xff\xfe"]:
            user = uuid.uuid4().hex
            await redis.set(store._key("telegram", user), corrupt, ex=60)
            await check_corrupt(store, user)
        keys = [k async for k in redis.scan_iter(match=f"{store._prefix}:*")]
        assert keys
        for key in keys:
            assert 0 < await redis.ttl(key) <= TTL_SECONDS
    finally:
        for key in [k async for k in redis.scan_iter(match=f"{store._prefix}:*")]:
            await redis.delete(key)
        await redis.aclose()
