"""Consent on shared accounts through the real doors: a resident of the bot is told in Telegram
(the worker sends the outbox through the fake Bot API) when someone links their account on the
web; the cabinet shows who else is linked, masked, and removes a link one did not expect, which
stops that resident's access at once. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from komunalka.adapters.db.dialogs import SqlDialogStateStore
from komunalka.adapters.db.tables import (
    account_links,
    audit_log,
    caretakers,
    identities,
    outbox,
    readings,
    residents,
)
from komunalka.application.system.load_demo import DEMO_RESIDENT
from komunalka.bootstrap.app import create_app
from komunalka.bootstrap.container import Container, build
from komunalka.bootstrap.settings import Settings
from komunalka.bootstrap.wiring import Wiring
from tests.channels.pages import NOW, PASSWORDS, RESIDENT, Site, settings_for, text_of
from tests.channels.test_cabinet import demo_meters, link, sign_up
from tests.channels.test_telegram import SECRET, Bot
from tests.fakes import FakeClock
from tests.servers.fake_telegram import FakeTelegram

TELEGRAM_CHAT = "777"  # tests.channels.test_telegram.USER's chat


@dataclass
class Doors:
    site: Site
    bot: Bot
    fake: FakeTelegram
    settings: Settings
    engine: object

    async def rows(self, query: object) -> list[object]:
        async with self.engine.connect() as conn:  # type: ignore[attr-defined]
            return list((await conn.execute(query)).all())

    async def run_worker(self) -> object:
        """The outbox job as the worker wires it (bootstrap.container.build)."""
        container = build(self.settings)
        try:
            return await container.use_cases.deliver_outbox()
        finally:
            await container.engine.dispose()


@pytest.fixture
async def doors(uow, engine, database_url) -> AsyncIterator[Doors]:
    fake = FakeTelegram()
    await fake.start()
    settings = settings_for(
        database_url,
        telegram_token=fake.token,
        telegram_webhook_secret=SECRET,
        telegram_api_url=fake.url,
    )
    clock = FakeClock(NOW)
    use_cases = Wiring.wire(
        uow,
        clock,
        passwords=PASSWORDS,
        dialogs=SqlDialogStateStore(uow.engine),
        web_url=settings.web_url,
    )
    demo = await use_cases.load_demo()
    app = create_app(container=Container(settings, engine, use_cases))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
        yield Doors(Site(client, use_cases, clock, demo), Bot(client, fake), fake, settings, engine)
    await app.state.telegram_bot.close()
    await fake.stop()


async def link_in_the_bot(doors: Doors, flat: int, supplier: str) -> None:
    meter = demo_meters(doors.site, flat, supplier)[0]
    await doors.bot.say(f"/start {meter.account}")
    await doors.bot.say(meter.holder[:3])
    await doors.bot.press("linkyes")
    assert "Рахунок додано" in doors.bot.texts()[-1]


async def test_a_new_link_on_the_web_is_told_to_the_bots_resident_in_telegram(
    doors: Doors,
) -> None:
    await link_in_the_bot(doors, 2, "kte")
    await sign_up(doors.site)  # Олена Ткаченко
    await link(doors.site, 2, "kte")
    (queued,) = await doors.rows(select(outbox).where(outbox.c.channel == "telegram"))
    assert queued.recipient == TELEGRAM_CHAT
    sent_before = len(doors.fake.sent())
    report = await doors.run_worker()
    assert report.sent == 1  # type: ignore[attr-defined]
    (notice,) = doors.fake.sent()[sent_before:]
    assert str(notice["chat_id"]) == TELEGRAM_CHAT
    text = notice["text"]
    number = demo_meters(doors.site, 2, "kte")[0].account
    assert "Оле** Т." in text and number in text and "20.11.2026" in text
    assert "Ткаченко" not in text  # masked
    assert "https://test/profile" in text
    assert "Або тут, у боті: «Мої лічильники» → «Хто ще додав мої рахунки»." in text
    assert await doors.run_worker() is not None
    assert len(doors.fake.sent()) == sent_before + 1  # sent once, never again


async def test_linking_an_account_nobody_else_has_tells_nobody(doors: Doors) -> None:
    await sign_up(doors.site)
    await link(doors.site, 4, "kvk")
    assert await doors.rows(select(outbox)) == []


async def test_the_first_resident_is_told_by_e_mail_when_they_have_no_messenger(
    doors: Doors,
) -> None:
    await sign_up(doors.site)
    await link(doors.site, 1, "kvk")  # the demo resident's account
    (queued,) = await doors.rows(select(outbox))
    assert (queued.channel, queued.recipient) == ("email", RESIDENT)
    assert queued.subject == "Ваш рахунок додав ще хтось"
    assert "у боті" not in queued.body  # an e-mail reader has no bot to act in


async def test_the_profile_shows_who_else_is_linked_masked_and_removes_them(doors: Doors) -> None:
    site = doors.site
    await sign_up(site)
    await link(site, 1, "kvk")
    await site.sign_out()
    await site.sign_in()  # the demo resident
    page = await site.get("/profile")
    words = text_of(page.text)
    assert "Цей рахунок додали також:" in words and "Оле** Т., з 20.11.2026" in words
    assert "Ткаченко" not in words
    action = re.search(r'action="(/accounts/(\d+)/links/(\d+)/remove)"', page.text)
    assert action is not None
    path, account, olena = action[1], int(action[2]), int(action[3])
    ask = await site.post(path)
    assert ask.status_code == 200 and "Прибрати людину з рахунку?" in text_of(ask.text)
    assert len(await doors.rows(select(account_links))) == 7  # asked, nothing removed yet
    done = await site.post(path, {"confirmed": "yes"})
    assert done.headers["location"] == "/profile?done=link_removed"
    assert "Людину прибрано з рахунку." in text_of((await site.get(done.headers["location"])).text)
    linked = await doors.rows(select(account_links).where(account_links.c.account_id == account))
    assert [r.resident_id for r in linked] != [] and olena not in [r.resident_id for r in linked]
    (entry,) = await doors.rows(
        select(audit_log).where(audit_log.c.action == "account.link_removed")
    )
    assert entry.subject == f"account:{account}" and json.loads(entry.details)["resident"] == olena
    told = await doors.rows(select(outbox).where(outbox.c.recipient == "olena@example.com"))
    assert [t.subject for t in told] == ["Ваш зв'язок із рахунком прибрано"]


async def test_the_bots_resident_sees_who_else_linked_and_removes_them_after_asking(
    doors: Doors,
) -> None:
    await link_in_the_bot(doors, 2, "kte")
    await sign_up(doors.site)  # Олена Ткаченко links the same account on the web
    await link(doors.site, 2, "kte")
    bot = doors.bot
    await bot.press("meters")
    assert "shared" in bot.buttons()
    await bot.press("shared")
    number = demo_meters(doors.site, 2, "kte")[0].account
    assert (
        f"{number}\nЦей рахунок додали також:\n• Оле** Т., з 20 листопада 2026" in bot.texts()[-1]
    )
    (remove,) = [b for b in bot.buttons() if b.startswith("unshare:")]
    _, account, olena = remove.split(":")
    await bot.press(remove)
    assert "Прибрати Оле** Т. (додано 20 листопада 2026)" in bot.texts()[-1]
    links = select(account_links).where(account_links.c.account_id == int(account))
    assert int(olena) in [r.resident_id for r in await doors.rows(links)]  # asked only
    (yes,) = [b for b in bot.buttons() if b.startswith("unshareyes:")]
    await bot.press(yes)
    assert "Людину прибрано з рахунку." in bot.texts()[-1]
    assert int(olena) not in [r.resident_id for r in await doors.rows(links)]
    (entry,) = await doors.rows(
        select(audit_log).where(audit_log.c.action == "account.link_removed")
    )
    assert entry.channel == "telegram" and json.loads(entry.details)["resident"] == int(olena)
    told = await doors.rows(select(outbox).where(outbox.c.recipient == "olena@example.com"))
    assert [t.subject for t in told] == ["Ваш зв'язок із рахунком прибрано"]


async def test_a_removed_link_stops_access_at_once(doors: Doors) -> None:
    olena = doors.site
    await sign_up(olena)
    await link(olena, 1, "kvk")
    meter_ids = re.findall(r'name="v\.([0-9]+)\.', (await olena.get("/readings")).text)
    assert meter_ids
    transport = olena.client._transport
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
        demo = Site(client, olena.use_cases, olena.clock, olena.demo)
        await demo.sign_in()  # the demo resident, in a browser of their own
        page = await demo.get("/profile")
        action = re.search(r'action="(/accounts/\d+/links/\d+/remove)"', page.text)
        assert action is not None
        await demo.post(action[1], {"confirmed": "yes"})
    home = await olena.get("/")  # Olena's session goes on, without the account
    assert "Додайте свій перший рахунок" in text_of(home.text)
    forged = await olena.post("/readings", {"client_key": "k1", f"v.{meter_ids[0]}.T1": "1"})
    assert forged.status_code == 400
    assert "Лічильник не знайдено серед ваших рахунків." in text_of(forged.text)


async def test_only_a_resident_of_the_account_may_remove_its_links(doors: Doors) -> None:
    site = doors.site
    await site.sign_in()
    demo_page = await site.get("/profile")
    account = re.search(r'action="/accounts/(\d+)/unlink"', demo_page.text)[1]  # type: ignore[index]
    await site.sign_out()
    await sign_up(site)  # linked to nothing
    demo_id = (await doors.rows(select(account_links.c.resident_id)))[0][0]
    before = len(await doors.rows(select(account_links)))
    for confirmed in ("", "yes"):
        answer = await site.post(
            f"/accounts/{account}/links/{demo_id}/remove", {"confirmed": confirmed}
        )
        assert answer.status_code == 404
    assert len(await doors.rows(select(account_links))) == before
    assert (
        await doors.rows(select(audit_log).where(audit_log.c.action == "account.link_removed"))
        == []
    )


# --- caretakers through the bot -------------------------------------------------------------------


async def bot_resident(doors: Doors) -> int:
    (row,) = await doors.rows(
        select(identities.c.resident_id).where(identities.c.external_id == TELEGRAM_CHAT)
    )
    return int(row.resident_id)  # type: ignore[attr-defined]


async def demo_invites(doors: Doors) -> tuple[str, int]:
    """The demo resident makes a code in the cabinet; the code and the demo resident's id."""
    await doors.site.sign_in()
    page = await doors.site.post("/care/invite")
    code = re.search(r'id="care-code">([0-9A-Z-]+)<', page.text)
    assert code is not None
    (row,) = await doors.rows(select(residents.c.id).where(residents.c.name == DEMO_RESIDENT))
    return code[1], int(row.id)  # type: ignore[attr-defined]


async def walk_the_round(bot: Bot) -> None:
    """Answers every question "unchanged" (and confirms warnings) until the menu comes back."""
    for _ in range(40):
        actions = bot.buttons()
        step = next((a for a in actions if a.split(":")[0] in ("unchanged", "confirm")), None)
        if step is None:
            return
        await bot.press(step)
    raise AssertionError("the round did not end")


async def test_a_caretakers_readings_through_the_bot_go_on_behalf_of_the_resident(
    doors: Doors,
) -> None:
    bot = doors.bot
    await bot.say("/start")
    code, demo_id = await demo_invites(doors)
    await bot.say(f"/care {code.lower()}")
    accepted, chooser = bot.texts()[-2:]
    assert accepted == "Готово: тепер ви можете передавати показники за: Дем* М."
    assert chooser == "За кого передаємо показники?"
    assert bot.buttons() == [f"carefor:{demo_id}", "menu"]
    await bot.press(f"carefor:{demo_id}")
    assert "Передаємо показники за: Дем* М." in bot.texts()
    await walk_the_round(bot)
    caretaker = await bot_resident(doors)
    submits = await doors.rows(
        select(audit_log).where(
            audit_log.c.action == "readings.submit", audit_log.c.actor_id == caretaker
        )
    )
    assert submits
    assert {e.on_behalf_of for e in submits} == {demo_id}  # type: ignore[attr-defined]
    mine = await doors.rows(select(readings).where(readings.c.channel == "telegram"))
    assert len(mine) >= len(submits)


async def test_an_ended_caretaker_is_refused_mid_round_in_the_bot_and_told_in_telegram(
    doors: Doors,
) -> None:
    bot = doors.bot
    await bot.say("/start")
    code, demo_id = await demo_invites(doors)
    await bot.say(f"/care {code}")
    await bot.press(f"carefor:{demo_id}")
    caretaker = await bot_resident(doors)
    ended = await doors.site.post(f"/care/{caretaker}/end")
    assert ended.headers["location"] == "/profile?done=care_ended"
    before = len(await doors.rows(select(readings)))
    step = next(a for a in bot.buttons() if a.startswith("unchanged:"))
    await bot.press(step)
    assert "Такої допомоги з показниками немає." in bot.texts()[-2]
    assert len(await doors.rows(select(readings))) == before
    await bot.press(f"carefor:{demo_id}")  # the old button
    assert "Такої допомоги з показниками немає." in bot.texts()[-1]
    sent_before = len(doors.fake.sent())
    await doors.run_worker()
    told = [m for m in doors.fake.sent()[sent_before:] if str(m["chat_id"]) == TELEGRAM_CHAT]
    (notice,) = told
    assert notice["text"].startswith("Тар** Ш. більше не передає показники")


async def test_a_wrong_code_in_the_bot_is_refused_and_starts_nothing(doors: Doors) -> None:
    await doors.bot.say("/care AAAAA-AAAAA")
    assert "Код не підходить" in doors.bot.texts()[-2]
    await doors.bot.say("/care")
    assert doors.bot.texts()[-1].startswith("Ви ще не передаєте показники ні за кого.")
    assert await doors.rows(select(caretakers)) == []
