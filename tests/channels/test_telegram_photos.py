"""A photo of the meter in the Telegram chat, through the webhook and the fake Bot API (which
serves getFile and the file's download): read, offered as "Is it 00117?" with Confirm / Type it,
stored only when confirmed; a photo that cannot be read or had asks for another or a typed value.
On SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import text

from komunalka.application.readings.photo_reading import NoMeterReader
from komunalka.bootstrap.app import create_app
from komunalka.bootstrap.container import Container
from komunalka.bootstrap.settings import Settings
from komunalka.bootstrap.wiring import Wiring
from tests.channels.test_telegram import CHAT, SECRET, USER, Bot
from tests.fakes import FakeClock, kyiv
from tests.meter_photos import photo_of
from tests.servers.fake_telegram import FakeTelegram
from tests.world import build_world

pytest.importorskip("rapidocr", reason="the ocr extra (./dev installs it)")

from komunalka.adapters.meter_ocr import make_meter_reader

READER = make_meter_reader()  # one per test module: the model loads once


class PhotoBot(Bot):
    async def photo(self, content: bytes, as_document: bool = False) -> httpx.Response:
        file_id = self.fake.add_file(content)
        message: dict[str, Any] = {"message_id": 3, "date": 0, "chat": CHAT, "from": USER}
        if as_document:
            message["document"] = {"file_id": file_id, "mime_type": "image/jpeg"}
        else:  # Telegram sends every size it made, the largest last
            small = {"file_id": "thumb", "file_unique_id": "t", "width": 90, "height": 68}
            large = {"file_id": file_id, "file_unique_id": "u", "width": 640, "height": 480}
            message["photo"] = [small, large]
        return await self.post({"update_id": next(self.ids), "message": message})


async def _bot(uow: Any, engine: Any, database_url: str, reader: Any) -> AsyncIterator[PhotoBot]:
    fake = FakeTelegram()
    await fake.start()
    await build_world(uow)
    settings = Settings(
        database_url=database_url,
        telegram_token=fake.token,
        telegram_webhook_secret=SECRET,
        telegram_api_url=fake.url,
    )
    use_cases = Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20)), meter_reader=reader)
    app = create_app(container=Container(settings, engine, use_cases))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield PhotoBot(client, fake)
    await app.state.telegram_bot.close()
    await fake.stop()


@pytest.fixture
async def bot(uow, engine, database_url) -> AsyncIterator[PhotoBot]:
    async for made in _bot(uow, engine, database_url, READER):
        yield made


@pytest.fixture
async def bot_without_ocr(uow, engine, database_url) -> AsyncIterator[PhotoBot]:
    async for made in _bot(uow, engine, database_url, NoMeterReader()):
        yield made


async def sending(bot: Bot) -> None:
    await bot.say("/start 1000001357")
    await bot.say("Шев")
    await bot.press("linkyes")
    await bot.press("send")
    assert "попередній показник 115 (за жовтень 2026)" in bot.texts()[-1]


async def readings(engine: Any) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT count(*) FROM readings"))).scalar_one())


async def test_a_photo_is_offered_and_stored_only_when_confirmed(bot: PhotoBot, engine) -> None:
    await sending(bot)
    before = await readings(engine)
    await bot.photo(photo_of(117, 5, 3).jpeg)
    assert bot.fake.downloads == ["photos/AgAC0001.jpg"]  # the largest size, not the thumbnail
    assert bot.texts()[-1] == "На фото лічильника HW0011234: 00117. Це так?"
    confirm, type_it, menu = bot.buttons()
    assert confirm.startswith("photook:") and confirm.endswith(":T1:117")
    assert type_it.startswith("phototype:") and menu == "menu"
    assert await readings(engine) == before  # nothing stored yet
    await bot.press(confirm)
    assert "117 — квитанція 2611-" in "\n".join(bot.texts()[-2:])
    assert await readings(engine) == before + 1
    await bot.press(confirm)  # pressed again: the round moved on, nothing stored twice
    assert await readings(engine) == before + 1


async def test_type_it_asks_for_the_value_and_a_typed_one_goes(bot: PhotoBot, engine) -> None:
    await sending(bot)
    await bot.photo(photo_of(117, 5, 3).jpeg, as_document=True)
    _, type_it, _ = bot.buttons()
    await bot.press(type_it)
    assert "Введіть показник цифрами" in bot.texts()[-2]
    assert "попередній показник 115" in bot.texts()[-1]
    await bot.say("118")
    assert "118 — квитанція 2611-" in "\n".join(bot.texts()[-2:])


async def test_a_read_below_the_previous_reading_asks_for_a_closer_photo(
    bot: PhotoBot, engine
) -> None:
    await sending(bot)
    before = await readings(engine)
    await bot.photo(photo_of(98, 5, 3).jpeg)  # a misread looks exactly like this
    said, question = bot.texts()[-2:]
    assert "не узгоджується з попереднім показником" in said
    assert "попередній показник 115" in question
    assert not any(b.startswith("photook:") for b in bot.buttons())
    assert await readings(engine) == before


async def test_a_photo_with_no_counter_asks_for_a_closer_photo_or_a_typed_value(
    bot: PhotoBot,
) -> None:
    await sending(bot)
    blank = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 130, 140)).save(blank, "JPEG")
    await bot.photo(blank.getvalue())
    assert "Сфотографуйте його ближче й прямо" in bot.texts()[-2]


async def test_a_photo_telegram_will_not_give_asks_again(bot: PhotoBot) -> None:
    await sending(bot)
    bot.fake.fail_download(404)
    await bot.photo(photo_of(117, 5, 3).jpeg)
    assert "Не вдалося отримати фото" in bot.texts()[-2]
    assert "попередній показник 115" in bot.texts()[-1]


async def test_a_photo_outside_a_round_says_how_to_send_one(bot: PhotoBot) -> None:
    await bot.say("/start")
    await bot.photo(photo_of(117, 5, 3).jpeg)
    assert "натисніть «Передати показники»" in bot.texts()[-1]
    assert bot.buttons() == ["send", "link", "meters", "settings", "help"]


async def test_a_photo_button_of_another_meter_is_outdated(bot: PhotoBot, engine) -> None:
    await sending(bot)
    before = await readings(engine)
    await bot.press("photook:999:T1:117")
    assert await readings(engine) == before
    assert "попередній показник 115" in bot.texts()[-1]


async def test_without_the_reader_a_photo_asks_for_a_typed_value(
    bot_without_ocr: PhotoBot,
) -> None:
    await sending(bot_without_ocr)
    await bot_without_ocr.photo(photo_of(117, 5, 3).jpeg)
    said, question = bot_without_ocr.texts()[-2:]
    assert said.startswith("Фото збережено, але розпізнавання фото тут не ввімкнено.")
    assert "попередній показник 115" in question
