"""Dialog state stores: the in-memory fake, the database's (SQLite, PostgreSQL) and Redis, the
same contract."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.db.dialogs import SqlDialogStateStore
from komunalka.adapters.db.tables import dialog_states, identities, residents
from komunalka.adapters.redis_dialogs import TTL_SECONDS, RedisDialogStateStore
from komunalka.application.shared.ports import Arrival, Received
from tests.conftest import IN_CI
from tests.fakes import InMemoryDialogStore

REDIS_URL = os.environ.get("KOMUNALKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
STATE = {"step": "send", "queue": [{"meter": 1, "zone": "day", "previous": "1200"}], "pos": 0}


def arrived(received: Received) -> tuple[Arrival, object]:
    """The arrival and the state (a store may or may not read the unreachable mark)."""
    return received.arrival, received.state


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
    """A delivery is first once, with the user's state, and under way until the save that names
    it marks it done; twins racing each other: one is told to act."""
    update = uuid.uuid4().hex
    state = {"step": "menu", "мова": "uk"}
    assert arrived(await store.receive("telegram", user, update)) == (Arrival.FIRST, state)
    assert arrived(await store.receive("telegram", user, update)) == (Arrival.UNDER_WAY, None)
    assert arrived(await store.receive("viber", user, update)) == (
        Arrival.FIRST,
        None,
    )  # per channel
    await store.save("telegram", user, {"step": "send"}, update)
    assert await store.load("telegram", user) == {"step": "send"}
    assert arrived(await store.receive("telegram", user, update)) == (Arrival.DONE, None)
    twins = [store.receive("telegram", user, f"{update}-2") for _ in range(5)]
    arrivals = [got.arrival for got in await asyncio.gather(*twins)]
    assert sorted(arrivals) == sorted([Arrival.FIRST] + [Arrival.UNDER_WAY] * 4)


async def check_takeover(store: Any, user: str, expire: Callable[[], Awaitable[None]]) -> None:
    """A turn whose lease ran out (its process died) is taken over once, with the state before
    it; then it is under way again, and done with its save."""
    update = uuid.uuid4().hex
    await store.save("telegram", user, {"step": "menu"})
    assert (await store.receive("telegram", user, update))[0] is Arrival.FIRST
    await expire()
    twins = [store.receive("telegram", user, update) for _ in range(4)]
    got = [arrived(x) for x in await asyncio.gather(*twins)]
    assert sorted(got, key=lambda x: x[0]) == sorted(
        [(Arrival.TAKEN_OVER, {"step": "menu"})] + [(Arrival.UNDER_WAY, None)] * 3,
        key=lambda x: x[0],
    )
    await store.save("telegram", user, {"step": "send"}, update)
    await expire()  # a finished turn stays finished however long ago it ran
    assert arrived(await store.receive("telegram", user, update)) == (Arrival.DONE, None)


# Stored texts that are no state: the store hands back none, and the conversation starts afresh.
CORRUPT = ['{"step": "send", "queue": [', "[1, 2]", '"send"', "null"]


async def check_corrupt(store: Any, user: str) -> None:
    assert await store.load("telegram", user) is None
    assert arrived(await store.receive("telegram", user, uuid.uuid4().hex)) == (Arrival.FIRST, None)


async def test_the_in_memory_store_keeps_each_users_state() -> None:
    await check_contract(InMemoryDialogStore())


async def test_the_in_memory_store_takes_over_a_turn_whose_lease_ran_out() -> None:
    store = InMemoryDialogStore()

    async def expire() -> None:
        store.now += store.lease + timedelta(seconds=1)

    await check_takeover(store, uuid.uuid4().hex, expire)


async def test_the_database_store_keeps_each_users_state(engine) -> None:
    await check_contract(SqlDialogStateStore(engine))


async def test_the_database_store_takes_over_a_turn_whose_lease_ran_out(engine) -> None:
    store = SqlDialogStateStore(engine, lease=timedelta(milliseconds=300))
    await check_takeover(store, uuid.uuid4().hex, lambda: asyncio.sleep(0.4))


async def test_the_database_store_reads_the_identitys_unreachable_mark_with_the_state(
    engine: AsyncEngine,
) -> None:
    """So a turn writes ReachableAgain only for a user marked unreachable (ADR 0028)."""
    store, now = SqlDialogStateStore(engine), datetime.now(UTC)
    marked, clear, stranger = (uuid.uuid4().hex for _ in range(3))
    async with engine.begin() as conn:
        resident = (
            await conn.execute(residents.insert().values(name="Іван", created_at=now))
        ).inserted_primary_key[0]
        for user, mark in ((marked, now), (clear, None)):
            row = {"channel": "telegram", "external_id": user, "resident_id": resident}
            await conn.execute(
                identities.insert().values(created_at=now, unreachable_at=mark, **row)
            )
    assert (await store.receive("telegram", marked, uuid.uuid4().hex)).unreachable is True
    assert (await store.receive("viber", marked, uuid.uuid4().hex)).unreachable is False
    assert (await store.receive("telegram", clear, uuid.uuid4().hex)).unreachable is False
    assert (await store.receive("telegram", stranger, uuid.uuid4().hex)).unreachable is False
    update = uuid.uuid4().hex
    await store.receive("telegram", marked, update)
    assert (await store.receive("telegram", marked, update)).unreachable is None  # not acted on


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
        short = RedisDialogStateStore(redis, prefix=store._prefix, lease_ms=300)
        await check_takeover(short, uuid.uuid4().hex, lambda: asyncio.sleep(0.4))
        await redis.set(store._seen("telegram", "old"), 1, ex=60)  # a record from before leases
        assert arrived(await store.receive("telegram", "someone", "old")) == (Arrival.DONE, None)
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


async def test_two_installations_on_one_redis_keep_apart_their_dialogs_and_updates(
    engine: AsyncEngine,
) -> None:
    """Each installation's keys start with its KOMUNALKA_JOBS_QUEUE: the same chat and the
    same update id in another installation are news to this one (they were dropped as seen)."""
    from komunalka.bootstrap.container import dialog_store
    from komunalka.bootstrap.settings import Settings

    names = [f"test-{uuid.uuid4().hex[:8]}-{n}" for n in (1, 2)]
    stores: list[Any] = [
        dialog_store(Settings(redis_url=REDIS_URL, jobs_queue=name), engine) for name in names
    ]
    user, update = uuid.uuid4().hex, uuid.uuid4().hex
    try:
        await stores[0].save("telegram", user, {"step": "send"})
        assert await stores[1].load("telegram", user) is None
        assert arrived(await stores[0].receive("telegram", user, update))[0] is Arrival.FIRST
        assert arrived(await stores[1].receive("telegram", user, update))[0] is Arrival.FIRST
    finally:
        redis = Redis.from_url(REDIS_URL)
        for name in names:
            for key in [k async for k in redis.scan_iter(match=f"{name}:*")]:
                await redis.delete(key)
        await redis.aclose()
