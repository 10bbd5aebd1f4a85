"""A real `komunalka serve` killed with SIGKILL in the middle of a messenger's turn (the reading
stored, its reply stalled at the fake Bot API), started again, and the same update delivered
again, as Telegram and Viber do: the turn is carried out, the reading stored once, the reply
sent (ADR 0015). On SQLite and PostgreSQL, and with the dialog store in Redis."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import readings
from komunalka.channels.viber.webhook import signature
from tests.conftest import IN_CI
from tests.servers.fake_telegram import FakeTelegram
from tests.servers.fake_viber import FakeViber
from tests.world import build_world

SRC = Path(__file__).resolve().parents[2] / "src"
REDIS_URL = os.environ.get("KOMUNALKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SECRET = "s3cret-token"
LEASE = 2  # seconds: a turn cut off is taken over this long after it began
NOW = "2026-11-20T12:00:00+02:00"  # the world's window is open
Post = Callable[[str, int], Awaitable[httpx.Response]]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _serve(env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "KOMUNALKA_NOW": NOW,
        "KOMUNALKA_JOBS_IN_PROCESS": "false",
        "KOMUNALKA_CHAT_TURN_LEASE": str(LEASE),
        **env,
    }
    if "KOMUNALKA_REDIS_URL" not in env or not env["KOMUNALKA_REDIS_URL"]:
        env.pop("KOMUNALKA_REDIS_URL", None)
    command = [sys.executable, "-m", "komunalka", "serve", "--port", str(port)]
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            try:
                await client.get(f"http://127.0.0.1:{port}/health")
                return process
            except httpx.TransportError:
                assert process.returncode is None, "serve exited"
                await asyncio.sleep(0.05)
    raise AssertionError("serve did not start")


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "gave up waiting"
        await asyncio.sleep(0.05)


async def _stored(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).where(readings.c.value_milli == 117_500)
        return int((await conn.execute(query)).scalar_one())


async def _kill_mid_turn_and_redeliver(
    engine: AsyncEngine,
    env: dict[str, str],
    stall: Callable[[float], None],
    post: Callable[[int, str, int], Awaitable[httpx.Response]],
    replied: Callable[[], bool],
    steps: tuple[str, ...] = ("/start 1000001357", "Шев", "kb:linkyes", "kb:send"),
) -> None:
    """Links the account and opens the sending round, then types the reading; the reply stalls,
    the process is killed, a new one started, and the update delivered until it is taken."""
    await build_world(SqlStorage(engine))
    port = _port()
    serving = await _serve(env, port)
    try:
        for update, say in enumerate(steps):
            assert (await post(port, say, update + 1)).status_code == 200
        stall(60)
        typed = asyncio.create_task(post(port, "117,5", 9))
        await _until(lambda: _is(engine, 1))  # stored; the reply hangs at the fake
        serving.send_signal(signal.SIGKILL)
        await serving.wait()
        typed.cancel()
        stall(0)
        port = _port()
        serving = await _serve(env, port)
        statuses = []
        while (answer := await post(port, "117,5", 9)).status_code != 200:
            statuses.append(answer.status_code)  # under way, until its lease runs out
            await asyncio.sleep(0.5)
        assert set(statuses) <= {503}
        assert await _stored(engine) == 1
        assert replied()
        assert (await post(port, "117,5", 9)).status_code == 200  # done: once more, nothing
        assert await _stored(engine) == 1
    finally:
        if serving.returncode is None:
            serving.send_signal(signal.SIGTERM)
            await serving.wait()


async def _is(engine: AsyncEngine, count: int) -> bool:
    return await _stored(engine) == count


async def _redis_url() -> str:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisConnectionError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    finally:
        await client.aclose()
    return REDIS_URL


@pytest.mark.parametrize("dialogs", ["database", "redis"])
async def test_a_telegram_turn_killed_mid_way_is_carried_out_once_when_delivered_again(
    engine: AsyncEngine, database_url: str, dialogs: str
) -> None:
    redis = await _redis_url() if dialogs == "redis" else ""
    fake = FakeTelegram(token=f"{random.randrange(10**9)}:T")
    await fake.start()
    user = random.randrange(10**6, 10**9)  # Redis keeps dialogs between runs
    base = random.randrange(10**9)
    env = {
        "KOMUNALKA_DATABASE_URL": database_url,
        "KOMUNALKA_REDIS_URL": redis,
        "KOMUNALKA_TELEGRAM_TOKEN": fake.token,
        "KOMUNALKA_TELEGRAM_API_URL": fake.url,
        "KOMUNALKA_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "KOMUNALKA_TELEGRAM_ANSWER_IN_WEBHOOK": "false",
    }

    async def post(port: int, say: str, update: int) -> httpx.Response:
        person = {"id": user, "is_bot": False, "first_name": "Тарас"}
        chat = {"id": user, "type": "private"}
        if say.startswith("kb:"):
            message = {"message_id": 2, "date": 0, "chat": chat, "text": "…"}
            query = {"id": f"q{update}", "from": person, "chat_instance": "c"}
            body = {"callback_query": {**query, "data": say[3:], "message": message}}
        else:
            body = {"message": {"message_id": 1, "date": 0, "chat": chat, "from": person}}
            body["message"]["text"] = say
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with httpx.AsyncClient(timeout=120) as client:
            url = f"http://127.0.0.1:{port}/webhooks/telegram"
            return await client.post(
                url, json={"update_id": base + update, **body}, headers=headers
            )

    def stall(seconds: float) -> None:
        fake.latency = seconds

    def replied() -> bool:
        texts = [str(c.params.get("text")) for c in fake.delivered()]
        return sum("117,5 — квитанція" in t for t in texts) == 1

    try:
        await _kill_mid_turn_and_redeliver(engine, env, stall, post, replied)
    finally:
        await fake.stop()


async def test_a_viber_turn_killed_mid_way_is_carried_out_once_when_delivered_again(
    engine: AsyncEngine, database_url: str
) -> None:
    fake = FakeViber()
    await fake.start()
    sender = {"id": f"{random.randrange(10**9)}A=", "name": "Тарас"}
    env = {
        "KOMUNALKA_DATABASE_URL": database_url,
        "KOMUNALKA_VIBER_TOKEN": fake.token,
        "KOMUNALKA_VIBER_API_URL": fake.url,
    }

    async def post(port: int, say: str, token: int) -> httpx.Response:
        payload: dict[str, Any] = {"event": "message", "timestamp": 1, "message_token": token}
        payload |= {"sender": sender, "message": {"type": "text", "text": say}}
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"X-Viber-Content-Signature": signature(body, fake.token)}
        async with httpx.AsyncClient(timeout=120) as client:
            url = f"http://127.0.0.1:{port}/webhooks/viber"
            return await client.post(url, content=body, headers=headers)

    def stall(seconds: float) -> None:
        fake.latency = seconds

    def replied() -> bool:
        texts = [str(m.get("text")) for m in fake.sent()]
        return sum("117,5 — квитанція" in t for t in texts) == 1

    try:
        steps = ("kb:link", "1000001357", "Шев", "kb:linkyes", "kb:send")
        await _kill_mid_turn_and_redeliver(engine, env, stall, post, replied, steps)
    finally:
        await fake.stop()
