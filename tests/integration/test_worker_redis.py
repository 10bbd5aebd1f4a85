"""`komunalka worker` with Redis (production): a task one process queues runs in a worker
process; two workers at once send every outbox message once, and kick each turn of the schedule
once between them.

Redis comes from KOMUNALKA_TEST_REDIS_URL (default: the local server, database 13); each test
names its queue uniquely and removes its keys afterwards, so runs side by side do not meet.
Without a reachable server these tests are skipped, except under CI."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import func, select

from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import outbox
from komunalka.application.shared.ports import OutgoingMessage
from komunalka.bootstrap.jobs import PeriodicJob
from komunalka.bootstrap.queue import TurnClaims, job_queue
from komunalka.bootstrap.settings import Settings
from tests.conftest import IN_CI

REDIS_URL = os.environ.get("KOMUNALKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
SRC = Path(__file__).parents[2] / "src"


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, str]]:
    """The test server and a queue name of this test's own; its keys go afterwards."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisConnectionError, OSError) as exc:
        await client.aclose()
        reason = f"Redis is not reachable at {REDIS_URL}: {exc}"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    prefix = f"komunalka-test-{uuid.uuid4().hex[:12]}"
    yield client, prefix
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def _worker(database_url: str, prefix: str, interval: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "KOMUNALKA_DATABASE_URL": database_url,
        "KOMUNALKA_REDIS_URL": REDIS_URL,
        "KOMUNALKA_JOBS_QUEUE": prefix,
        "KOMUNALKA_OUTBOX_INTERVAL": interval,
    }
    env.pop("KOMUNALKA_NOW", None)
    command = [sys.executable, "-m", "komunalka", "worker"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _stop(worker: subprocess.Popen[bytes]) -> tuple[int, str]:
    """SIGTERM, as a service manager stops it: the worker finishes what it runs and exits."""
    worker.send_signal(signal.SIGTERM)
    try:
        output = worker.communicate(timeout=15)[0].decode()
    except subprocess.TimeoutExpired:
        worker.kill()
        output = worker.communicate()[0].decode()
    return worker.returncode, output


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "gave up waiting"
        await asyncio.sleep(0.1)


async def _add(storage: SqlStorage, recipients: list[str]) -> None:
    async with storage(write=True) as tx:
        for recipient in recipients:
            message = OutgoingMessage("email", recipient, "s", "b")
            await storage.outbox.add(message, datetime.now(UTC) - timedelta(seconds=1))
        await tx.commit()


async def _unsent(engine) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        return int((await conn.execute(query)).scalar_one())


async def test_a_turn_of_the_schedule_is_claimed_by_one_process(redis) -> None:
    client, prefix = redis
    one, other = TurnClaims(client, prefix), TurnClaims(client, prefix)
    now = time.time() // 10 * 10
    assert await one.claim("deliver_outbox", 10, now)
    assert not await other.claim("deliver_outbox", 10, now + 9)
    assert not await one.claim("deliver_outbox", 10, now + 1)
    assert await other.claim("deliver_outbox", 10, now + 10)
    assert await other.claim("send_reminders", 10, now)


async def test_a_task_queued_by_one_process_runs_in_a_worker(redis, engine, database_url) -> None:
    client, prefix = redis
    stream, group = f"{prefix}:jobs", f"{prefix}:workers"

    async def nothing() -> None:
        raise AssertionError("a queued task runs in the worker, not here")

    worker = _worker(database_url, prefix, interval="3600")  # its schedule kicks once, at start

    async def first_turn_done() -> bool:
        if not await client.exists(stream) or not await client.xlen(stream):
            return False
        (info,) = await client.xinfo_groups(stream)
        return info["pending"] == 0 and info["last-delivered-id"] != b"0-0"

    try:
        await _until(first_turn_done)
        await _add(SqlStorage(engine), ["olena@example.com"])
        settings = Settings(database_url=database_url, redis_url=REDIS_URL, jobs_queue=prefix)
        jobs = [PeriodicJob("deliver_outbox", timedelta(hours=1), nothing)]
        queue = job_queue(settings, jobs, in_process=False)
        await queue.broker.startup()
        try:
            await queue.kick("deliver_outbox")
        finally:
            await queue.close()
        await _until(lambda: _none_left(engine))
        assert (await client.xinfo_groups(stream))[0]["name"] == group.encode()
    finally:
        code, output = _stop(worker)
    assert code == 0, output
    assert "job deliver_outbox: DeliveryRound(sent=1, retried=0, failed=0, unknown=0)" in output
    assert "worker stopped" in output


async def test_two_workers_at_once_send_every_message_once(redis, engine, database_url) -> None:
    client, prefix = redis
    stream, group = f"{prefix}:jobs", f"{prefix}:workers"
    workers = [_worker(database_url, prefix, interval="1") for _ in range(2)]

    async def both_listening() -> bool:
        if not await client.exists(stream):
            return False
        return len(await client.xinfo_consumers(stream, group)) == 2

    recipients = [f"{n}@example.com" for n in range(30)]
    try:
        await _until(both_listening)
        await _add(SqlStorage(engine), recipients[:15])
        await asyncio.sleep(1)
        await _add(SqlStorage(engine), recipients[15:])
        await _until(lambda: _none_left(engine))
    finally:
        stopped = [_stop(worker) for worker in workers]
    assert [code for code, _ in stopped] == [0, 0], stopped
    logged = re.findall(r"email to (\S+): s", "".join(output for _, output in stopped))
    assert sorted(logged) == sorted(recipients)
    # each turn of the outbox's schedule (a second) was kicked by one of the two, not by both
    kicks = [k for k in await client.xrange(stream) if b"deliver_outbox" in k[1][b"data"]]
    first, last = (int(kicks[i][0].split(b"-")[0]) for i in (0, -1))
    assert len(kicks) <= (last - first) / 1000 + 2, len(kicks)


async def _none_left(engine) -> bool:
    return await _unsent(engine) == 0
