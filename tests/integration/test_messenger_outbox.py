"""The outbox into messengers: a message to a Telegram or Viber user goes out through the bot's
notice sender (the fake Bot API and the fake Viber API over real HTTP) when the worker delivers
the outbox; a refusal keeps it for a later try, a success is never sent again. On SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from komunalka.adapters.db.tables import outbox
from komunalka.application.shared.ports import OutgoingMessage
from komunalka.bootstrap.container import notice_senders, senders
from komunalka.bootstrap.settings import Settings
from komunalka.bootstrap.wiring import Wiring
from tests.fakes import FakeClock, kyiv
from tests.servers.fake_telegram import FakeTelegram
from tests.servers.fake_viber import FakeViber


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(token=f"{uuid.uuid4().int % 10**9}:T")  # fresh throttle keys
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def viber() -> AsyncIterator[FakeViber]:
    server = FakeViber()
    await server.start()
    yield server
    await server.stop()


def worker(uow, telegram: FakeTelegram, viber: FakeViber) -> Wiring:
    """The outbox's job with the senders the composition root gives the worker."""
    settings = Settings(
        telegram_token=telegram.token,
        telegram_api_url=telegram.url,
        viber_token=viber.token,
        viber_api_url=viber.url,
    )
    wired = senders(settings, notice_senders(settings))
    return Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20, 12)), senders=wired)


async def queue(uow, *messages: OutgoingMessage) -> None:
    """Messages in the outbox, as a change's transaction writes them."""
    async with uow(write=True) as tx:
        for message in messages:
            await uow.outbox.add(message, kyiv(2026, 11, 20, 12))
        await tx.commit()


async def states(engine) -> list[tuple[str, str, int]]:
    async with engine.connect() as conn:
        query = select(outbox.c.recipient, outbox.c.state, outbox.c.attempts).order_by(outbox.c.id)
        return [tuple(r) for r in await conn.execute(query)]


async def test_messages_reach_telegram_and_viber_once(uow, engine, telegram, viber) -> None:
    uc = worker(uow, telegram, viber)
    await queue(
        uow,
        OutgoingMessage("telegram", "777", "Тема", "Хтось додав ваш рахунок"),
        OutgoingMessage("viber", "v-user", "Тема", "Хтось додав ваш рахунок"),
    )
    first = await uc.deliver_outbox()
    second = await uc.deliver_outbox()
    assert (first.sent, second.sent) == (2, 0)
    (to_telegram,) = telegram.sent()
    assert (str(to_telegram["chat_id"]), to_telegram["text"]) == ("777", "Хтось додав ваш рахунок")
    (to_viber,) = viber.sent()
    assert (to_viber["receiver"], to_viber["text"]) == ("v-user", "Хтось додав ваш рахунок")
    assert [s for _, s, _ in await states(engine)] == ["sent", "sent"]


async def test_a_refused_message_is_kept_for_a_later_try(uow, engine, telegram, viber) -> None:
    telegram.blocked.add("13")
    viber.unsubscribed.add("gone")
    uc = worker(uow, telegram, viber)
    await queue(
        uow,
        OutgoingMessage("telegram", "13", "s", "b"),
        OutgoingMessage("viber", "gone", "s", "b"),
    )
    done = await uc.deliver_outbox()
    assert (done.sent, done.retried) == (0, 2)
    assert await states(engine) == [("13", "waiting", 1), ("gone", "waiting", 1)]
