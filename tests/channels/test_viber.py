"""The Viber door through its real protocol: signed callbacks into the webhook, the project's
fake Viber API on 127.0.0.1 recording what the bot sends. On SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from komunalka.bootstrap.app import create_app
from komunalka.bootstrap.container import Container
from komunalka.bootstrap.settings import Settings
from komunalka.bootstrap.wiring import Wiring
from komunalka.channels.viber.webhook import signature
from tests.fakes import FakeClock, kyiv
from tests.servers.fake_viber import FakeViber
from tests.world import build_world

SENDER = {"id": "01234567890A=", "name": "Тарас"}


class Viber:
    def __init__(self, client: httpx.AsyncClient, fake: FakeViber) -> None:
        self.client = client
        self.fake = fake
        self.tokens = itertools.count(5_000_000)

    async def post(self, payload: dict[str, Any], sign_with: str | None = None) -> httpx.Response:
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"X-Viber-Content-Signature": signature(body, sign_with or self.fake.token)}
        return await self.client.post("/webhooks/viber", content=body, headers=headers)

    async def say(
        self, text: str, token: int | None = None, sender: dict[str, Any] = SENDER
    ) -> httpx.Response:
        message = {"type": "text", "text": text}
        payload = {
            "event": "message",
            "timestamp": 1,
            "message_token": token or next(self.tokens),
            "sender": sender,
            "message": message,
        }
        return await self.post(payload)

    def texts(self) -> list[str]:
        return [m["text"] for m in self.fake.sent()]


@pytest.fixture
async def viber(uow, engine, database_url) -> AsyncIterator[Viber]:
    fake = FakeViber()
    await fake.start()
    await build_world(uow)
    settings = Settings(database_url=database_url, viber_token=fake.token, viber_api_url=fake.url)
    app = create_app(
        container=Container(settings, engine, Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20))))
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Viber(client, fake)
    await app.state.viber_client.aclose()
    await fake.stop()


async def test_a_forged_signature_is_refused_with_no_effect(viber: Viber) -> None:
    payload = {
        "event": "message",
        "message_token": 1,
        "sender": SENDER,
        "message": {"type": "text", "text": "hi"},
    }
    answer = await viber.post(payload, sign_with="not-the-token")
    assert answer.status_code == 401
    body = json.dumps(payload).encode()
    unsigned = await viber.client.post("/webhooks/viber", content=body)
    assert unsigned.status_code == 401
    assert viber.fake.calls == []


async def test_a_conversation_start_is_welcomed_in_the_answer(viber: Viber) -> None:
    answer = await viber.post({"event": "conversation_started", "user": SENDER, "context": ""})
    welcome = answer.json()
    assert "Комуналка" in welcome["text"] and welcome["type"] == "text"
    assert viber.fake.calls == []  # Viber takes the welcome only as the callback's answer


async def test_a_user_whose_viber_speaks_english_is_welcomed_in_english(viber: Viber) -> None:
    user = {**SENDER, "language": "en-GB"}
    answer = await viber.post({"event": "conversation_started", "user": user, "context": ""})
    assert answer.json()["text"].startswith("Hello!")


async def test_a_viber_language_starts_the_resident_until_they_choose_another(
    viber: Viber,
) -> None:
    english = {**SENDER, "language": "en"}
    await viber.say("hi", sender=english)
    assert viber.texts()[-1].startswith("I did not understand.")
    await viber.say("kb:lang:uk", sender=english)
    await viber.say("kb:menu", sender=english)
    assert viber.texts()[-1] == "Що робимо?"


async def test_webhook_check_and_delivery_receipts_are_ignored(viber: Viber) -> None:
    for event in ("webhook", "delivered", "seen", "subscribed", "unsubscribed"):
        answer = await viber.post(
            {"event": event, "timestamp": 1, "message_token": 9, "user_id": "x"}
        )
        assert answer.status_code == 200
    assert viber.fake.calls == []


async def _unreachable_at(uow: Any, user: str) -> Any:
    from sqlalchemy import select

    from komunalka.adapters.db.tables import identities

    async with uow.engine.connect() as conn:
        query = select(identities.c.unreachable_at).where(
            identities.c.channel == "viber", identities.c.external_id == user
        )
        return (await conn.execute(query)).scalar_one()


async def test_an_unsubscribed_user_gets_no_reminders_until_they_come_back(
    viber: Viber, uow: Any
) -> None:
    await viber.say("привіт")  # the identity exists now
    user = SENDER["id"]
    left = await viber.post({"event": "unsubscribed", "timestamp": 2, "user_id": user})
    assert left.status_code == 200 and await _unreachable_at(uow, user) is not None
    back = await viber.post({"event": "subscribed", "timestamp": 3, "user": SENDER})
    assert back.status_code == 200 and await _unreachable_at(uow, user) is None
    await viber.post({"event": "unsubscribed", "timestamp": 4, "user_id": user})
    await viber.say("я тут")  # writing again counts as coming back
    assert await _unreachable_at(uow, user) is None


async def test_a_whole_conversation_with_keyboard_buttons(viber: Viber) -> None:
    await viber.say("привіт")
    menu = viber.fake.sent()[-1]
    bodies = [b["ActionBody"] for b in menu["keyboard"]["Buttons"]]
    assert bodies == ["kb:send", "kb:link", "kb:meters", "kb:settings", "kb:help"]
    assert menu["receiver"] == SENDER["id"]
    await viber.say("kb:link")
    await viber.say("1000001357")
    await viber.say("Шев")
    await viber.say("kb:linkyes")
    assert "Рахунок додано" in viber.texts()[-1]
    await viber.say("kb:send")
    await viber.say("kb:unchanged")
    assert "115 — квитанція 2611-" in viber.texts()[-1]


async def test_an_old_keyboard_button_mid_round_says_so_and_keeps_the_round(viber: Viber) -> None:
    from komunalka.i18n import translate

    await viber.say("kb:link")
    await viber.say("1000001357")
    await viber.say("Шев")
    await viber.say("kb:linkyes")
    await viber.say("kb:send")
    question = viber.fake.sent()[-1]
    await viber.say("kb:linkyes")  # a button of a message before
    outdated, again = viber.fake.sent()[-2:]
    assert outdated["text"] == translate("chat.button_outdated", "uk")
    assert again["text"] == question["text"] and again["keyboard"] == question["keyboard"]
    await viber.say("117,5")
    assert "№HW0011234: 117,5 — квитанція 2611-" in viber.texts()[-1]


async def test_the_same_message_token_twice_has_one_effect(viber: Viber) -> None:
    await viber.say("привіт", token=77)
    sent = len(viber.fake.sent())
    await viber.say("привіт", token=77)
    assert len(viber.fake.sent()) == sent


async def test_a_typed_text_is_never_taken_for_a_button(viber: Viber) -> None:
    await viber.say("send")
    assert "Не зрозумів" in viber.texts()[-1]


async def test_a_history_chart_is_sent_as_a_url_the_app_serves(viber: Viber) -> None:
    await viber.say("kb:link")
    await viber.say("1000001357")
    await viber.say("Шев")
    await viber.say("kb:linkyes")
    await viber.say("kb:history")
    pictures = [m for m in viber.fake.sent() if m["type"] == "picture"]
    assert len(pictures) == 1
    url = pictures[0]["media"]
    assert url.startswith("http://127.0.0.1:8000/media/pictures/")
    served = await viber.client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content[:4] == b"\x89PNG"
    guessed = await viber.client.get("/media/pictures/" + "A" * 43 + ".png")
    assert guessed.status_code == 404


async def test_callbacks_of_the_wrong_shape_are_ignored_with_no_effect(viber: Viber) -> None:
    for payload in (
        {"event": "message", "message_token": 7, "sender": SENDER, "message": "hi"},
        {"event": "message", "message_token": 8, "sender": SENDER, "message": ["hi"]},
        {"event": "message", "message_token": 9, "sender": "someone", "message": {"text": "x"}},
        {"event": "message", "message_token": [1], "sender": SENDER, "message": {"text": "x"}},
        {"event": "subscribed", "user": "x"},
        {"event": "conversation_started", "user": [1, 2]},
        {"event": "unsubscribed", "user_id": {"id": 1}},
        {"event": "message", "message_token": 10, "sender": {"id": "x" * 100}, "message": {}},
    ):
        answer = await viber.post(payload)
        assert answer.status_code == 200, payload
    for body in (b"[" * 100_000 + b"]" * 100_000, b'"text"', b"\x00"):
        headers = {"X-Viber-Content-Signature": signature(body, viber.fake.token)}
        answer = await viber.client.post("/webhooks/viber", content=body, headers=headers)
        assert answer.status_code == 200 and answer.json() == {"status": 0}
    assert [c for c in viber.fake.calls if "send_message" in str(c)] == []


async def test_history_offers_earlier_months_on_the_keyboard_viber_shows(viber: Viber) -> None:
    await viber.say("kb:link")
    await viber.say("1000001357")
    await viber.say("Шев")
    await viber.say("kb:linkyes")
    await viber.say("kb:history")
    last = viber.fake.sent()[-1]
    (more,) = [b["ActionBody"] for b in last["keyboard"]["Buttons"] if "hmore:" in b["ActionBody"]]
    await viber.say(more)
    older = viber.texts()[-2].splitlines()
    assert older[0].startswith("Гаряча вода №HW0011234") and older[1].startswith("квітень 2026:")
