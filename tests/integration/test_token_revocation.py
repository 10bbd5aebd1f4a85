"""Revoking a resident's API token, on SQLite and PostgreSQL: with Redis, two processes' worth of
use cases over one database (each remembering the token) both refuse it the moment one revokes
it; without Redis, the process that revokes does.

Redis comes from KOMUNALKA_TEST_REDIS_URL (default: the local server, database 13), under a key
of the test's own; without a reachable server the Redis tests are skipped, except under CI."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.revocations import InProcessRevocations, RedisRevocations
from komunalka.application.shared.actors import Actor
from komunalka.bootstrap.container import guards
from komunalka.bootstrap.feature_wiring import Guards
from komunalka.bootstrap.wiring import Wiring
from tests.channels.pages import settings_for
from tests.conftest import IN_CI
from tests.fakes import FakeClock, kyiv

REDIS_URL = os.environ.get("KOMUNALKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
async def redis_key() -> AsyncIterator[str]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisConnectionError, OSError) as exc:
        await client.aclose()
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    key = f"komunalka-test-{uuid.uuid4().hex[:12]}:revocations"
    yield key
    await client.delete(key)
    await client.aclose()


def process(engine, guards: Guards) -> Wiring:  # type: ignore[no-untyped-def]
    """What one server process wires: its own storage and caches over the shared database."""
    return Wiring.wire(SqlStorage(engine), FakeClock(kyiv(2026, 11, 20)), guards=guards)


async def test_a_token_revoked_through_one_process_is_refused_by_another_at_once(
    engine, redis_key
) -> None:
    clients = [Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)]
    first, second = (
        process(engine, Guards(revocations=RedisRevocations(c, redis_key))) for c in clients
    )
    issued = await first.issue_token(Actor.system(), new_resident="Олена")
    for server in (first, second):  # both remember it
        assert await server.authenticate(issued.token) == issued.resident_id
        assert await server.authenticate(issued.token) == issued.resident_id
    await first.revoke_token(Actor.system(), issued.token)
    assert await second.authenticate(issued.token) is None
    assert await first.authenticate(issued.token) is None
    for client in clients:
        await client.aclose()


async def test_without_redis_the_revoking_process_refuses_at_once(engine) -> None:
    server = process(engine, Guards(revocations=InProcessRevocations()))
    issued = await server.issue_token(Actor.system(), new_resident="Олена")
    assert await server.authenticate(issued.token) == issued.resident_id
    await server.revoke_token(Actor.system(), issued.token)
    assert await server.authenticate(issued.token) is None


def test_redis_settings_share_the_revocations_and_none_keep_them_in_the_process() -> None:
    shared = guards(settings_for("sqlite:///x.db", redis_url=REDIS_URL))
    assert isinstance(shared.revocations, RedisRevocations)
    assert isinstance(guards(settings_for("sqlite:///x.db")).revocations, InProcessRevocations)
