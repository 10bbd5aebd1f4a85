"""The Telegram door through its real protocol: Update JSON into the webhook, the project's fake
Bot API on 127.0.0.1 recording what the bot sends. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from komunalka.bootstrap.app import create_app
from komunalka.bootstrap.container import Container
from komunalka.bootstrap.settings import Settings
from komunalka.bootstrap.wiring import Wiring
from komunalka.i18n import translate
from tests.fakes import FakeClock, kyiv
from tests.servers.fake_telegram import FakeTelegram
from tests.world import build_world

SECRET = "s3cret-token"
USER = {"id": 777, "is_bot": False, "first_name": "Тарас", "last_name": "Шевченко"}
CHAT = {"id": 777, "type": "private"}


class Bot:
    def __init__(self, client: httpx.AsyncClient, fake: FakeTelegram) -> None:
        self.client = client
        self.fake = fake
        self.ids = itertools.count(1000)
        # What the user saw, in order: messages the bot sent through the Bot API, then the one
        # Telegram sent for it from the webhook's answer.
        self.messages: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []
        self.pressed: list[str] = []  # the callback queries sent, in order

    async def post(self, update: dict[str, Any], secret: str = SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        before = len(self.fake.calls)
        answer = await self.client.post("/webhooks/telegram", json=update, headers=headers)
        sent = [
            c for c in self.fake.calls[before:] if c.method == "sendMessage" and c.status == 200
        ]
        self.messages += [c.params for c in sent]
        body = answer.json() if answer.status_code == 200 else {}
        if "method" in body:
            self.answers.append(body)
            self.messages.append(body)
        return answer

    async def say(self, text: str, user: dict[str, Any] = USER) -> httpx.Response:
        message = {"message_id": 1, "date": 0, "chat": CHAT, "from": user, "text": text}
        return await self.post({"update_id": next(self.ids), "message": message})

    async def press(self, action: str, user: dict[str, Any] = USER) -> httpx.Response:
        message = {"message_id": 2, "date": 0, "chat": CHAT, "text": "…"}
        query_id = f"q{next(self.ids)}"
        self.pressed.append(query_id)
        query = {
            "id": query_id,
            "from": user,
            "chat_instance": "c",
            "data": action,
            "message": message,
        }
        return await self.post({"update_id": next(self.ids), "callback_query": query})

    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages]

    def buttons(self) -> list[str]:
        """The callback data of the last message's buttons."""
        rows = self.messages[-1].get("reply_markup", {}).get("inline_keyboard", [])
        return [b["callback_data"] for row in rows for b in row]


@pytest.fixture(params=[True], ids=["answer in webhook"])
async def bot(request, uow, engine, database_url) -> AsyncIterator[Bot]:
    fake = FakeTelegram()
    await fake.start()
    await build_world(uow)
    settings = Settings(
        database_url=database_url,
        telegram_token=fake.token,
        telegram_webhook_secret=SECRET,
        telegram_api_url=fake.url,
        telegram_answer_in_webhook=request.param,
    )
    use_cases = Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20)))
    app = create_app(container=Container(settings, engine, use_cases))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Bot(client, fake)
    await app.state.telegram_bot.close()
    await fake.stop()


async def test_a_forged_secret_is_refused_with_no_effect(bot: Bot) -> None:
    update = {
        "update_id": 1,
        "message": {"message_id": 1, "date": 0, "chat": CHAT, "from": USER, "text": "/start"},
    }
    for secret in ("", "wrong"):
        answer = await bot.post(update, secret=secret)
        assert answer.status_code == 401
    assert bot.fake.calls == []


async def test_start_greets_with_an_inline_keyboard(bot: Bot) -> None:
    assert (await bot.say("/start")).status_code == 200
    (greeting,) = bot.fake.sent()  # through the Bot API, before the webhook's answer
    assert "Комуналка" in greeting["text"]
    (menu,) = bot.answers
    assert menu["method"] == "sendMessage" and menu["chat_id"] == CHAT["id"]
    rows = menu["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for row in rows for b in row] == [
        "send",
        "link",
        "meters",
        "settings",
        "help",
    ]
    assert all(len(row) <= 2 for row in rows)


@pytest.mark.parametrize("code", ["en", "en-GB"])
async def test_a_user_whose_telegram_speaks_english_is_greeted_in_english(
    bot: Bot, code: str
) -> None:
    await bot.say("/start", {**USER, "language_code": code})
    greeting, menu = bot.texts()
    assert greeting.startswith("Hello!") and menu == "What shall we do?"


async def test_a_language_we_do_not_speak_starts_in_ukrainian(bot: Bot) -> None:
    await bot.say("/start", {**USER, "language_code": "de"})
    assert bot.texts()[-1] == "Що робимо?"


async def test_a_language_chosen_in_settings_stays_whatever_telegram_says(bot: Bot) -> None:
    english = {**USER, "language_code": "en"}
    await bot.say("/start", english)
    await bot.press("lang:uk", english)
    await bot.say("/start", english)
    assert bot.texts()[-1] == "Що робимо?"
    await bot.say("/start", {**USER, "language_code": "uk"})
    await bot.press("lang:en")
    await bot.say("/start", {**USER, "language_code": "uk"})
    assert bot.texts()[-1] == "What shall we do?"


async def test_the_same_update_twice_has_one_effect(bot: Bot) -> None:
    update = {
        "update_id": 5,
        "message": {"message_id": 1, "date": 0, "chat": CHAT, "from": USER, "text": "/start"},
    }
    await bot.post(update)
    sent = len(bot.messages)
    again = await bot.post(update)
    assert again.status_code == 200 and "method" not in again.json()
    assert len(bot.messages) == sent


async def test_the_same_update_twice_at_once_has_one_effect(bot: Bot) -> None:
    message = {"message_id": 1, "date": 0, "chat": CHAT, "from": USER, "text": "/start"}
    update = {"update_id": 6, "message": message}
    answers = await asyncio.gather(bot.post(update), bot.post(update))
    assert sorted("method" in a.json() for a in answers) == [False, True]
    assert len(bot.fake.sent()) == 1  # the greeting, once; the menu was the one answer


async def test_a_button_pressed_once_and_delivered_twice_is_answered_once(bot: Bot) -> None:
    query = {"id": "q1", "from": USER, "chat_instance": "c", "data": "help"}
    query["message"] = {"message_id": 2, "date": 0, "chat": CHAT, "text": "…"}
    update = {"update_id": 9, "callback_query": query}
    await bot.post(update)
    await bot.post(update)
    assert [c.method for c in bot.fake.calls] == ["answerCallbackQuery"]
    assert len(bot.answers) == 1


async def test_a_whole_conversation_links_and_sends_a_reading(bot: Bot) -> None:
    await bot.say("/start 1000001357")  # a deep link from the bill
    await bot.say("Шев")
    assert "Це ваш рахунок?" in bot.texts()[-1]
    await bot.press("linkyes")
    assert "Рахунок додано: Київтеплоенерго" in bot.texts()[-1]
    await bot.press("send")
    assert "попередній показник 115 (за жовтень 2026)" in bot.texts()[-1]
    answered = [c for c in bot.fake.calls if c.method == "answerCallbackQuery"]
    assert answered
    await bot.say("117,5")
    assert "117,5 — квитанція 2611-" in bot.texts()[-1]


async def test_a_single_reply_is_the_webhooks_answer_and_nothing_goes_out(bot: Bot) -> None:
    await bot.say("/start 1000001357")
    await bot.say("Шев")
    await bot.press("linkyes")
    calls = len(bot.fake.calls)
    answer = (await bot.press("send")).json()
    assert [c.method for c in bot.fake.calls[calls:]] == ["answerCallbackQuery"]
    assert answer["method"] == "sendMessage" and answer["chat_id"] == CHAT["id"]
    assert "попередній показник 115 (за жовтень 2026)" in answer["text"]
    rows = answer["reply_markup"]["inline_keyboard"]
    kinds = [b["callback_data"].split(":")[0] for row in rows for b in row]
    assert kinds == ["unchanged", "skip", "menu"]
    calls = len(bot.fake.calls)
    answer = (await bot.say("117,5")).json()
    assert bot.fake.calls[calls:] == []
    assert "117,5 — квитанція 2611-" in answer["text"]


async def test_history_comes_with_a_chart_photo(bot: Bot) -> None:
    await bot.say("/start 1000001357")
    await bot.say("Шев")
    await bot.press("linkyes")
    await bot.press("history")
    photos = bot.fake.sent("sendPhoto")
    assert photos and photos[0]["photo"][:4] == b"\x89PNG"
    assert "method" in bot.answers[-1]  # the menu after the chart and its text


async def test_a_429_waits_retry_after_and_then_sends(bot: Bot) -> None:
    bot.fake.fail_next(429, retry_after=1)
    await bot.say("/start")
    tries = [c for c in bot.fake.calls if c.method == "sendMessage"]
    assert len(tries) == 2  # the greeting, refused once, then sent; the menu is the answer
    assert tries[1].at - tries[0].at >= 1.0
    assert len(bot.texts()) == 2


async def test_a_server_error_is_retried(bot: Bot) -> None:
    bot.fake.fail_next(502)
    await bot.say("/start")
    assert len(bot.fake.sent()) == 2  # the greeting, failed once, then sent
    assert "Комуналка" in bot.texts()[0] and len(bot.texts()) == 2


async def test_a_body_that_is_not_an_update_changes_nothing(bot: Bot) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "content-type": "application/json"}
    broken = await bot.client.post("/webhooks/telegram", content=b"{not json", headers=headers)
    assert broken.status_code == 400
    listed = await bot.client.post("/webhooks/telegram", content=b"[1, 2]", headers=headers)
    assert listed.status_code == 400
    not_utf8 = await bot.client.post("/webhooks/telegram", content=b"\xff\xfe", headers=headers)
    assert not_utf8.status_code == 400
    odd = await bot.post({"hello": "world"})
    assert odd.status_code == 200 and odd.json() == {"ok": True}
    assert bot.fake.calls == []


@pytest.mark.parametrize("bot", [False], ids=["every reply through the Bot API"], indirect=True)
async def test_with_answers_off_every_reply_goes_through_the_bot_api(bot: Bot) -> None:
    bot.fake.fail_next(429, retry_after=1)
    answer = await bot.say("/start")
    assert answer.json() == {"ok": True}
    tries = [c for c in bot.fake.calls if c.method == "sendMessage"]
    assert len(tries) == 3  # the greeting refused once and sent, then the menu
    assert tries[1].at - tries[0].at >= 1.0
    assert tries[2].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "send"


async def test_a_resident_who_blocked_the_bot_is_reachable_again_once_they_write(
    bot: Bot, uow: Any
) -> None:
    from sqlalchemy import select, update

    from komunalka.adapters.db.tables import identities

    await bot.say("/start")
    mine = (identities.c.channel == "telegram") & (identities.c.external_id == str(USER["id"]))
    async with uow.engine.begin() as conn:  # what a 403 to a reminder left behind
        await conn.execute(update(identities).where(mine).values(unreachable_at=kyiv(2026, 11, 19)))
    await bot.say("меню")
    async with uow.engine.connect() as conn:
        query = select(identities.c.unreachable_at).where(mine)
        assert (await conn.execute(query)).scalar_one() is None


async def linked_and_sending(bot: Bot) -> None:
    await bot.say("/start 1000001357")
    await bot.say("Шев")
    await bot.press("linkyes")
    await bot.press("send")


def count_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the app sends PostgreSQL from now on: the fixed SQL on asyncpg's
    connection, SQLAlchemy's through its prepared statements, and BEGIN/ROLLBACK."""
    import asyncpg
    from asyncpg.prepared_stmt import PreparedStatement

    seen: list[str] = []
    for cls, names in (
        (asyncpg.Connection, ("fetch", "fetchrow", "fetchval", "execute", "executemany")),
        (PreparedStatement, ("fetch", "fetchrow", "fetchval", "executemany")),
    ):
        for name in names:
            original = getattr(cls, name)

            async def counted(self: Any, *args: Any, _run: Any = original, **kw: Any) -> Any:
                query = self.get_query() if isinstance(self, PreparedStatement) else args[0]
                seen.append(" ".join(str(query).split()))
                return await _run(self, *args, **kw)

            monkeypatch.setattr(cls, name, counted)
    return seen


# PostgreSQL's statements are what is counted: the test runs on PostgreSQL only (no skip on SQLite)
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_typed_reading_that_ends_the_round_takes_five_statements_on_postgresql(
    bot: Bot, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot's commonest step stays cheap (docs/adr/0028, docs/BENCHMARKS.md issue 14):
    the turn's claim with the state, the submission's read and write, the summary's meter
    list (the meters with their accounts, suppliers, readings and tariffs, in one statement),
    the state's save; no transaction held, no readings sheet built, no ReachableAgain for a
    user who never blocked the bot."""
    assert engine.dialect.name == "postgresql"
    await linked_and_sending(bot)
    statements = count_statements(monkeypatch)
    await bot.say("117,5")
    assert "№HW0011234: 117,5 — квитанція 2611-" in bot.texts()[-1]
    listed = "\n".join(statements)
    assert len(statements) <= 5, listed
    assert not [s for s in statements if s.split()[0] in ("BEGIN;", "ROLLBACK;")], listed
    assert not [s for s in statements if s.startswith("UPDATE identities")], listed


async def test_every_button_press_is_answered_exactly_once_old_ones_too(bot: Bot) -> None:
    await linked_and_sending(bot)
    first_question = bot.buttons()
    await bot.press("menu")
    await bot.press("help")
    await bot.press("send")
    await bot.press("linkyes")  # from a step long over
    await bot.press(first_question[0])  # "unchanged" on the round's first question: still it
    await bot.press("skip:424242")  # a button no message ever carried for this round
    await bot.press("history")
    answered = bot.fake.answered()
    assert sorted(answered) == sorted(bot.pressed)  # each one, exactly once
    assert len(set(answered)) == len(answered) == 9


async def test_an_old_button_mid_round_says_so_and_keeps_the_round(bot: Bot) -> None:
    await linked_and_sending(bot)
    question, asked = bot.texts()[-1], bot.buttons()
    await bot.press("linkyes")  # the account's confirmation, pressed again
    outdated, again = bot.texts()[-2:]
    assert outdated == translate("chat.button_outdated", "uk")
    assert again == question and bot.buttons() == asked  # the current step, its buttons
    await bot.press("send")  # the menu's "send", from an earlier message: not a new round
    assert bot.texts()[-2] == outdated and bot.texts()[-1] == question
    await bot.say("117,5")  # the round goes on where it stood
    assert "№HW0011234: 117,5 — квитанція 2611-" in bot.texts()[-1]


async def test_an_old_button_at_the_menu_shows_the_menu(bot: Bot) -> None:
    await linked_and_sending(bot)
    unchanged = bot.buttons()[0]
    await bot.say("117,5")  # the round is over: the summary and the menu
    await bot.press(unchanged)
    assert bot.texts()[-2] == translate("chat.button_outdated", "uk")
    assert bot.buttons() == ["send", "link", "meters", "settings", "help"]
    assert len(bot.fake.answered()) == len(bot.pressed)


async def test_history_reads_at_a_glance_with_more_behind_a_button(bot: Bot) -> None:
    await bot.say("/start 1000001357")
    await bot.say("Шев")
    await bot.press("linkyes")
    await bot.press("history")
    sent = [m for m in bot.messages if "HW0011234:" in m["text"]]
    (hot,) = sent
    months = hot["text"].splitlines()[1:]
    assert len(months) == 6 and months[0] == "жовтень 2026: +2,5 м³ (115)"
    (more,) = [a for a in bot.buttons() if a.startswith("hmore:")]  # beside the menu
    await bot.press(more)
    older = bot.texts()[-2].splitlines()[1:]
    assert older[0].startswith("квітень 2026:") and not set(older) & set(months)


async def test_a_press_the_bot_has_no_use_for_is_answered_all_the_same(bot: Bot) -> None:
    inline = {"id": "q-inline", "from": USER, "chat_instance": "c", "inline_message_id": "i"}
    inline["data"] = "send"
    answer = await bot.post({"update_id": 31, "callback_query": inline})
    assert answer.status_code == 200
    assert bot.fake.answered() == ["q-inline"] and bot.fake.sent() == []
