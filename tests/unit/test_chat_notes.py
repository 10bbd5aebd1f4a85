"""The chat's notes, by message code: a verification due within 30 days (what to do), an overdue
meter's reason for refusing readings, and the period's estimated amount at the end of a round."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from komunalka.domain.services import Service
from komunalka.domain.tariffs import Tariff
from komunalka.i18n import translate
from komunalka.money import format_money
from tests.unit.test_chat import Chat, chat_at, linked, press, text

TODAY = date(2026, 11, 20)


async def due_in(chat: Chat, serial: str, days: int) -> date:
    """The meter's verification moved to `days` days from today."""
    state = chat.store.state
    (meter,) = [m for m in state.meters.values() if m.serial == serial]
    due = TODAY + timedelta(days=days)
    state.meters[meter.id] = replace(meter, verification_due=due)
    return due


def soon(due: date, language: str = "uk") -> str:
    return translate("verification.soon", language, {"date": due.strftime("%d.%m.%Y")})


async def test_my_meters_says_a_verification_due_in_29_days_and_what_to_do() -> None:
    chat = await chat_at(20)
    due = await due_in(chat, "HW0011234", 29)
    await linked(chat)
    said = await chat(press("meters"))
    assert soon(due) in said
    assert "замовте повірку" in soon(due) and "фото свідоцтва" in soon(due)
    await chat(press("settings"))
    await chat(press("lang:en"))
    assert soon(due, "en") in await chat(press("meters"))


async def test_my_meters_says_nothing_of_a_verification_due_in_31_days() -> None:
    chat = await chat_at(20)
    due = await due_in(chat, "HW0011234", 31)
    await linked(chat)
    said = await chat(press("meters"))
    assert soon(due) not in said
    assert translate("verification.soon", "uk").split("{date}")[0] not in said


async def test_an_overdue_meter_in_the_list_and_history_says_why_readings_are_refused() -> None:
    chat = await chat_at(20)
    await linked(chat)  # HW0019999's verification was due on 2026-11-17
    reason = translate("meter.verification_overdue", "uk", {"due": "2026-11-17"})
    said = await chat(press("meters"))
    (line,) = [x for x in said.split("\n•") if "HW0019999" in x]
    assert translate("chat.status_blocked", "uk") in line and reason in line
    history = await chat(press("history"))
    (part,) = [r.text for r in chat.last if "HW0019999" in r.text]
    assert reason in part and reason in history


async def test_history_says_a_verification_due_soon() -> None:
    chat = await chat_at(20)
    due = await due_in(chat, "HW0011234", 10)
    await linked(chat)
    await chat(press("history"))
    (part,) = [r.text for r in chat.last if "HW0011234" in r.text]
    assert soon(due) in part


async def add_tariffs(chat: Chat) -> None:
    store = chat.store
    async with store(write=True) as u:
        yasno = await store.suppliers.by_code("yasno")
        since = date(2024, 6, 1)
        for zone, price in (("*", "4.32"), ("night", "2.16")):
            await store.tariffs.add(
                Tariff(yasno.id, Service.ELECTRICITY, Decimal(price), since, zone, demo=True)
            )
        await u.commit()


async def test_the_end_of_a_round_gives_the_estimated_amount_per_account() -> None:
    chat = await chat_at(29)  # both windows open
    await add_tariffs(chat)
    await linked(chat)
    await linked(chat, "3000917")
    said = await chat(press("send"))
    while translate("chat.send_summary", "uk") not in said:
        said = await chat(text("117" if "HW0011234" in said else "1100/550/1650"))
    summary = chat.last[-1].text
    uah = format_money
    electricity = translate(
        "estimate.account",
        "uk",
        {"supplier": "YASNO", "account": "3000917", "total": uah(Decimal(540), "uk")},
    )
    # 100 kWh of day at 4.32 and 50 of night at 2.16 (the registry's 1000 and 500 before)
    assert electricity in summary
    assert translate("estimate.basis_zones", "uk") in summary
    hot_water = translate(
        "estimate.no_tariff",
        "uk",
        {"service": "Гаряча вода", "serial": "HW0011234", "used": "2.000", "unit": "м³"},
    )
    assert hot_water in summary  # no hot-water tariff: named, not summed
    unpriced = translate(
        "estimate.account_unpriced", "uk", {"supplier": "Київтеплоенерго", "account": "1000001357"}
    )
    assert unpriced in summary and f": {uah(Decimal(0), 'uk')}" not in summary
    assert translate("estimate.demo", "uk") in summary
    assert summary.index(translate("chat.send_summary", "uk")) < summary.index(electricity)
