"""A picture of the meter sent in Viber (ADR 0027): fetched from the message's media URL (only
from Viber's hosts, without the bot's token), read, offered as "Is it 00117?" with Confirm / Type
it on the keyboard, stored only when confirmed. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from komunalka.adapters.db.tables import readings
from komunalka.bootstrap.app import create_app
from komunalka.bootstrap.container import Container
from komunalka.bootstrap.settings import Settings
from komunalka.bootstrap.wiring import Wiring
from tests.channels.test_viber import SENDER, Viber
from tests.fakes import FakeClock, kyiv
from tests.meter_photos import photo_of
from tests.servers.fake_viber import FakeViber
from tests.world import build_world

pytest.importorskip("rapidocr", reason="the ocr extra (./dev installs it)")

from komunalka.adapters.meter_ocr import make_meter_reader

READER = make_meter_reader()


class PictureViber(Viber):
    async def picture(self, media: str) -> httpx.Response:
        message = {"type": "picture", "text": "", "media": media, "thumbnail": media}
        payload = {
            "event": "message",
            "timestamp": 1,
            "message_token": next(self.tokens),
            "sender": SENDER,
            "message": message,
        }
        return await self.post(payload)

    def buttons(self) -> list[str]:
        return [b["ActionBody"] for b in self.fake.sent()[-1]["keyboard"]["Buttons"]]


@pytest.fixture
async def viber(uow, engine, database_url) -> AsyncIterator[PictureViber]:
    fake = FakeViber()
    await fake.start()
    await build_world(uow)
    settings = Settings(database_url=database_url, viber_token=fake.token, viber_api_url=fake.url)
    wiring = Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20)), meter_reader=READER)
    app = create_app(container=Container(settings, engine, wiring))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield PictureViber(client, fake)
    await app.state.viber_client.aclose()
    await fake.stop()


async def count(engine: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(readings))).scalar())


async def sending(viber: Viber) -> None:
    for text in ("kb:link", "1000001357", "Шев", "kb:linkyes", "kb:send"):
        await viber.say(text)
    assert "попередній показник 115" in viber.texts()[-1]


async def test_a_picture_is_read_offered_and_stored_when_confirmed(
    viber: PictureViber, engine
) -> None:
    await sending(viber)
    before = await count(engine)
    await viber.picture(viber.fake.add_media(photo_of(117, 5, 3).jpeg))
    assert viber.fake.media_fetches == ["img1.jpg"]  # fetched once, without the token
    assert viber.texts()[-1] == "На фото лічильника HW0011234: 00117. Це так?"
    confirm, type_it, menu = viber.buttons()
    assert confirm.startswith("kb:photook:") and confirm.endswith(":T1:117")
    assert type_it.startswith("kb:phototype:") and menu == "kb:menu"
    assert await count(engine) == before
    await viber.say(confirm)
    assert any("117 — квитанція 2611-" in t for t in viber.texts()[-2:])
    assert await count(engine) == before + 1


async def test_a_picture_from_elsewhere_is_not_fetched(viber: PictureViber, engine) -> None:
    await sending(viber)
    for media in ("https://example.com/x.jpg", "file:///etc/passwd", "", "http://10.0.0.1/a"):
        await viber.picture(media)
        assert "Не вдалося отримати фото" in viber.texts()[-2]
    await viber.picture(viber.fake.url + "/media/none.jpg")  # Viber's, but gone
    assert "Не вдалося отримати фото" in viber.texts()[-2]
    assert "попередній показник 115" in viber.texts()[-1]
    assert viber.fake.media_fetches == ["none.jpg"]
