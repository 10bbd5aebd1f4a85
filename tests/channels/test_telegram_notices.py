"""Reminders through Telegram: TelegramNoticeSender over real HTTP to the fake Bot API, with the
in-memory throttle and with the Redis one that several senders share."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from komunalka.adapters.telegram_notices import TelegramNoticeSender
from komunalka.adapters.throttle import InMemorySendThrottle, Rate, RedisSendThrottle
from komunalka.application.notifications.channels import Notice, Outcome
from tests.servers.fake_telegram import FakeTelegram

REDIS_URL = "redis://127.0.0.1:6379/0"


def notice(chat: int | str, text: str = "Час передати показники", **extra: str) -> Notice:
    return Notice("telegram", str(chat), text, **extra)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(token=f"{uuid.uuid4().int % 10**9}:T")  # fresh throttle keys per test
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except OSError as exc:  # redis.ConnectionError is an OSError
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    yield client
    await client.aclose()


async def sender(
    fake: FakeTelegram, throttle: InMemorySendThrottle | RedisSendThrottle, **options: int
) -> AsyncIterator[TelegramNoticeSender]:
    async with httpx.AsyncClient(base_url=fake.url, timeout=5) as client:
        yield TelegramNoticeSender(client, fake.token, throttle, **options)


def rates(per_second: int) -> dict[str, Rate]:
    return {"telegram": Rate(per_second), "telegram-chat": Rate(1)}


async def test_each_answer_of_telegram_maps_to_its_outcome(fake: FakeTelegram) -> None:
    fake.blocked.add("2")
    fake.missing.add("3")
    async for telegram in sender(fake, InMemorySendThrottle(rates(25))):
        sent = await telegram.send([notice(1, button="Передати", action="send")])
        blocked, missing = await telegram.send([notice(2), notice(3)])
        fake.fail_next(400)
        bad = await telegram.send([notice(4)])
        fake.fail_next(502)
        down = await telegram.send([notice(5)])
    assert sent[0].outcome is Outcome.SENT
    markup = fake.sent()[0]["reply_markup"]
    assert markup == {"inline_keyboard": [[{"text": "Передати", "callback_data": "send"}]]}
    assert (blocked.outcome, missing.outcome) == (Outcome.UNREACHABLE, Outcome.DROPPED)
    assert "blocked" in blocked.detail
    assert (bad[0].outcome, down[0].outcome) == (Outcome.FAILED, Outcome.RETRY)


async def test_a_network_error_is_retried_later_and_never_raises() -> None:
    throttle = InMemorySendThrottle(rates(25))
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=2) as client:
        result = await TelegramNoticeSender(client, "1:T", throttle).send([notice(1)])
    assert result[0].outcome is Outcome.RETRY


async def test_a_429_waits_out_retry_after_and_sends_again(fake: FakeTelegram) -> None:
    fake.fail_next(429, retry_after=1)
    async for telegram in sender(fake, InMemorySendThrottle(rates(25))):
        result = await telegram.send([notice(1)])
    assert result[0].outcome is Outcome.SENT
    first, second = fake.calls
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.95


async def test_429s_that_do_not_stop_end_as_retry_with_retry_after(fake: FakeTelegram) -> None:
    fake.too_many_rate, fake.retry_after = 1.0, 0
    async for telegram in sender(fake, InMemorySendThrottle(rates(25)), max_pauses=2):
        result = await telegram.send([notice(1)])
    assert result[0].outcome is Outcome.RETRY
    assert result[0].retry_after == 0
    assert len(fake.calls) == 3


async def test_one_chat_gets_at_most_one_message_a_second(fake: FakeTelegram) -> None:
    async for telegram in sender(fake, InMemorySendThrottle(rates(25))):
        results = await telegram.send([notice(7, "один"), notice(7, "два")])
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.SENT]
    first, second = fake.calls
    assert second.at - first.at >= 0.95


async def test_a_429_pauses_the_token_for_every_sender_sharing_redis(
    fake: FakeTelegram, redis: Redis
) -> None:
    fake.fail_next(429, retry_after=1)
    shared = Redis.from_url(REDIS_URL)
    async for one in sender(fake, RedisSendThrottle(redis, rates(25))):
        async for other in sender(fake, RedisSendThrottle(shared, rates(25))):
            paused = asyncio.create_task(one.send([notice(1)]))
            await asyncio.sleep(0.2)  # the first sender has had its 429 and paused the token
            others = await other.send([notice(chat) for chat in (2, 3, 4)])
            first = await paused
    assert first[0].outcome is Outcome.SENT
    assert [r.outcome for r in others] == [Outcome.SENT] * 3
    limited = fake.calls[0]
    assert limited.status == 429
    assert all(call.at - limited.at >= 0.95 for call in fake.calls[1:])


async def test_senders_sharing_redis_never_exceed_the_limit_in_any_second(
    fake: FakeTelegram, redis: Redis
) -> None:
    fake.limit_per_second = 20
    notices = [notice(1000 + i) for i in range(60)]
    shared = Redis.from_url(REDIS_URL)
    started = time.monotonic()
    async for one in sender(fake, RedisSendThrottle(redis, rates(20))):
        async for other in sender(fake, RedisSendThrottle(shared, rates(20))):
            results = await asyncio.gather(one.send(notices[:30]), other.send(notices[30:]))
    elapsed = time.monotonic() - started
    assert all(r.outcome is Outcome.SENT for batch in results for r in batch)
    assert all(call.status == 200 for call in fake.calls)  # the fake's own limit never hit
    assert fake.max_in_window(1.0) <= 20
    assert 1.9 <= elapsed < 5
