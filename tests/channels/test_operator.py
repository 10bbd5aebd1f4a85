"""The operator console over HTTP: search within each role's scope, the account card, readings
and corrections taken for a caller (audited with the channel, the operator, the note and how the
caller was identified), and the administrator's staff and supplier pages."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from komunalka import formats
from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import audit_log, readings, web_logins
from komunalka.application.system.load_demo import DEMO_RESIDENT, DEMO_STAFF
from komunalka.channels.operator.trail import short_name
from komunalka.channels.pages.security import LANGUAGE_COOKIE, SESSION_COOKIE
from komunalka.channels.pages.templating import number
from tests.channels.pages import (
    ADMIN,
    DISTRICT,
    OPERATOR,
    PASSWORD,
    RESIDENT,
    SUPPLIER,
    Site,
    text_of,
)

pytestmark = pytest.mark.asyncio

HOME_DISTRICT = DEMO_STAFF[1][3]  # the demo district operator's district


def engine_of(site: Site) -> Any:
    return site.client._transport.app.state.container.engine  # type: ignore[attr-defined]


async def rows(site: Site, query: Any) -> list[Any]:
    async with engine_of(site).connect() as conn:
        return list((await conn.execute(query)).all())


def demo_meter(site: Site, supplier: str, *, district: str | None = None, other: bool = False):
    """A demo meter of `supplier`, in `district` (or, with `other`, outside it)."""
    for m in site.demo.meters:
        if m.supplier != supplier or m.registers != ("T1",) or m.note:
            continue
        if district is None or (m.district == district) != other:
            return m
    raise AssertionError("no such demo meter")


async def account_id(site: Site, supplier: str, number: str) -> int:
    storage = SqlStorage(engine_of(site))
    async with storage():
        found = await storage.suppliers.by_code(supplier)
        assert found is not None
        account = await storage.accounts.by_number(found.id, number)
        assert account is not None
        return account.id


async def meter_id(site: Site, supplier: str, serial: str) -> int:
    storage = SqlStorage(engine_of(site))
    async with storage():
        found = await storage.suppliers.by_code(supplier)
        assert found is not None
        (meter,) = await storage.meters.by_serials(found.id, [serial])
        return meter.id


async def search(site: Site, kind: str, q: str) -> str:
    page = await site.get("/operator", params={"kind": kind, "q": q})
    assert page.status_code == 200, page.text
    return text_of(page.text)


def client_key(html: str) -> str:
    found = re.search(r'name="client_key" value="([0-9a-f]+)"', html)
    assert found is not None
    return found[1]


async def readings_of(site: Site, meter: int) -> list[Any]:
    query = select(readings).where(readings.c.meter_id == meter).order_by(readings.c.id)
    return await rows(site, query)


# --- who may come in ---------------------------------------------------------------------------


async def test_anonymous_visitors_are_sent_to_the_staff_sign_in(site: Site) -> None:
    for path in ("/operator", "/operator/accounts/1", "/operator/staff", "/operator/suppliers"):
        answer = await site.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/staff/sign-in?next=/operator")
    posted = await site.post("/operator/accounts/1/readings", {"note": "x"})
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/staff/sign-in")


@pytest.mark.parametrize("login", [OPERATOR, DISTRICT, SUPPLIER])
async def test_only_administrators_open_staff_and_supplier_pages(site: Site, login: str) -> None:
    await site.sign_in_staff(login)
    for path in ("/operator/staff", "/operator/staff/new", "/operator/staff/1"):
        assert (await site.get(path)).status_code == 403, path
    for path in ("/operator/suppliers", "/operator/suppliers/new", "/operator/suppliers/1"):
        assert (await site.get(path)).status_code == 403, path
    form = {"code": "x1", "name": "X", "window_rule": "1..5", "timezone": "Europe/Kyiv"}
    assert (await site.post("/operator/suppliers/new", form)).status_code == 403
    assert (await site.post("/operator/staff/new", {"login": "a@b.c"})).status_code == 403


async def test_the_navigation_shows_admin_pages_to_administrators_only(site: Site) -> None:
    await site.sign_in_staff(OPERATOR)
    page = (await site.get("/operator")).text
    assert 'href="/operator/staff"' not in page
    assert '<a href="/operator" aria-current="page">' in page
    await site.sign_out()
    await site.sign_in_staff(ADMIN)
    page = (await site.get("/operator")).text
    assert 'href="/operator/staff"' in page and 'href="/operator/suppliers"' in page


# --- search ------------------------------------------------------------------------------------


async def test_the_call_center_finds_an_account_by_number_whole_or_its_start(site: Site) -> None:
    m = demo_meter(site, "kte")
    await site.sign_in_staff(OPERATOR)
    found = await search(site, "number", m.account)
    assert "Знайдено: 1" in found and m.holder in found and m.address in found
    assert m.account in await search(site, "number", m.account[:-2])
    refused = await site.get("/operator", params={"kind": "number", "q": "abc"})
    assert refused.status_code == 400
    assert "лише з цифр" in refused.text


async def test_search_by_address_ignores_letter_case_in_cyrillic(site: Site) -> None:
    m = demo_meter(site, "kvk")
    street = m.address.split(", ")[1].split(" ", 1)[1]  # "Хрещатик" from "вул. Хрещатик"
    house = m.address.split(", ")[2]
    await site.sign_in_staff(OPERATOR)
    for typed in (street.lower(), street.upper(), street):
        found = await search(site, "address", f"{typed}, {house}")
        assert m.account in found, typed
    assert "Нічого не знайдено" in await search(site, "address", "Неіснуюча вулиця")


async def test_search_by_surname_prefix_in_any_case(site: Site) -> None:
    m = demo_meter(site, "kte")
    surname = m.holder.split()[0]
    await site.sign_in_staff(OPERATOR)
    found = await search(site, "surname", surname[:4].upper())
    assert m.account in found
    assert "Нічого не знайдено" in await search(site, "surname", "Щщщщ")


async def test_search_by_the_phone_of_a_resident_who_linked_the_account(site: Site) -> None:
    m = demo_meter(site, "kvk")
    opened = await site.use_cases.sign_up("050 123 45 67", "a-long-password-1", "Абонент")
    viewer = await site.use_cases.resolve_session(opened.token)
    assert viewer is not None
    target = await account_id(site, "kvk", m.account)
    storage = SqlStorage(engine_of(site))
    async with storage(write=True) as uow:
        await storage.accounts.link(viewer.subject_id, target, "test", site.clock.now())
        await uow.commit()
    await site.sign_in_staff(OPERATOR)
    for typed in ("0501234567", "+380 50 123-45-67"):
        found = await search(site, "phone", typed)
        assert "Знайдено: 1" in found and m.account in found, typed
    assert "Нічого не знайдено" in await search(site, "phone", "0670000000")
    bad = await site.get("/operator", params={"kind": "phone", "q": "12"})
    assert bad.status_code == 400


async def test_the_search_decides_by_itself_what_was_typed(site: Site) -> None:
    m = demo_meter(site, "kte")
    a = demo_meter(site, "kvk")
    street = a.address.split(", ")[1].split(" ", 1)[1]
    await site.sign_in_staff(OPERATOR)
    page = await site.get("/operator")
    assert re.search(r'<option value="auto"\s+selected', page.text)
    for typed, expected in (
        (m.account, m.account),
        (f" {m.account[:3]}-{m.account[3:]} ", m.account),  # spaces and dashes aside
        (m.holder.split()[0][:4].lower(), m.account),  # a surname's start, no 400
        (f"{street.upper()}, {a.address.split(', ')[2]}", a.account),  # address words
    ):
        found = await search(site, "", typed)
        assert expected in found, typed
    assert "Нічого не знайдено" in await search(site, "", "Щщщщ")
    short = await site.get("/operator", params={"q": "Щ"})
    assert short.status_code == 400


async def test_the_search_takes_a_phone_for_a_phone(site: Site) -> None:
    m = demo_meter(site, "kvk")
    opened = await site.use_cases.sign_up("050 123 45 67", "a-long-password-1", "Абонент")
    viewer = await site.use_cases.resolve_session(opened.token)
    assert viewer is not None
    target = await account_id(site, "kvk", m.account)
    storage = SqlStorage(engine_of(site))
    async with storage(write=True) as uow:
        await storage.accounts.link(viewer.subject_id, target, "test", site.clock.now())
        await uow.commit()
    await site.sign_in_staff(OPERATOR)
    for typed in ("0501234567", "+380 50 123-45-67", "380501234567", "050-123-45-67"):
        found = await search(site, "auto", typed)
        assert "Знайдено: 1" in found and m.account in found, typed
    assert "Нічого не знайдено" in await search(site, "auto", "0670000000")
    assert (await site.get("/operator", params={"q": "+12"})).status_code == 400


async def test_a_district_operator_finds_and_opens_only_their_district(site: Site) -> None:
    inside = demo_meter(site, "kte", district=HOME_DISTRICT)
    outside = demo_meter(site, "kte", district=HOME_DISTRICT, other=True)
    await site.sign_in_staff(DISTRICT)
    assert inside.account in await search(site, "number", inside.account)
    assert "Нічого не знайдено" in await search(site, "number", outside.account)
    assert outside.holder not in await search(site, "surname", outside.holder.split()[0])
    everything = await search(site, "number", "1")
    assert outside.account not in everything
    hidden = await account_id(site, "kte", outside.account)
    for path in (f"/operator/accounts/{hidden}", f"/operator/accounts/{hidden}/readings"):
        answer = await site.get(path)
        assert answer.status_code == 404, path
        assert outside.holder not in answer.text
    form = {"identified_by": "other", "note": "n", "client_key": "k1"}
    assert (await site.post(f"/operator/accounts/{hidden}/readings", form)).status_code == 404
    shown = await account_id(site, "kte", inside.account)
    assert (await site.get(f"/operator/accounts/{shown}")).status_code == 200


async def test_supplier_staff_see_their_own_supplier_only_and_read_only(site: Site) -> None:
    own = demo_meter(site, "kte")
    other = demo_meter(site, "kvk")
    await site.sign_in_staff(SUPPLIER)
    assert own.account in await search(site, "number", own.account)
    assert "Нічого не знайдено" in await search(site, "number", other.account)
    found = await search(site, "surname", own.holder.split()[0])
    assert other.account not in found
    theirs = await account_id(site, "kvk", other.account)
    assert (await site.get(f"/operator/accounts/{theirs}")).status_code == 404
    mine = await account_id(site, "kte", own.account)
    card = await site.get(f"/operator/accounts/{mine}")
    assert card.status_code == 200
    assert f"/operator/accounts/{mine}/readings" not in card.text
    assert (await site.get(f"/operator/accounts/{mine}/readings")).status_code == 403


# --- the card and readings for a caller ----------------------------------------------------------


async def test_the_card_shows_meters_history_and_the_trail(site: Site) -> None:
    m = demo_meter(site, "kte")
    await site.sign_in_staff(OPERATOR)
    target = await account_id(site, "kte", m.account)
    page = await site.get(f"/operator/accounts/{target}")
    text = text_of(page.text)
    assert m.serial in text and m.holder in text and m.address in text
    assert "Журнал дій" in text
    last = m.values["T1"][-1]
    assert number(last).replace("\u202f", " ") in text


async def send_for_caller(site: Site, account: int, values: dict[str, str], **extra: str) -> Any:
    form_page = await site.get(f"/operator/accounts/{account}/readings")
    assert form_page.status_code == 200
    form = {
        **values,
        "identified_by": "account_number_and_name",
        "note": "Телефонувала власниця",
        "client_key": client_key(form_page.text),
        **extra,
    }
    return await site.post(f"/operator/accounts/{account}/readings", form)


async def test_an_operator_sends_a_reading_for_a_caller_and_it_is_audited(site: Site) -> None:
    m = demo_meter(site, "kte")
    await site.sign_in_staff(OPERATOR)
    target = await account_id(site, "kte", m.account)
    meter = await meter_id(site, "kte", m.serial)
    value = m.values["T1"][-1] + Decimal(1)
    before = len(await readings_of(site, meter))
    answer = await send_for_caller(site, target, {f"value.{meter}.T1": str(value)})
    assert answer.status_code == 200, text_of(answer.text)
    assert "Показники прийнято" in answer.text
    receipt = re.search(r'<code class="receipt">([0-9A-Z-]+)</code>', answer.text)
    assert receipt is not None
    stored = await readings_of(site, meter)
    assert len(stored) == before + 1
    assert stored[-1].channel == "phone" and stored[-1].receipt == receipt[1]
    entries = await rows(
        site,
        select(audit_log).where(audit_log.c.subject == f"submission:{stored[-1].submission_id}"),
    )
    actions = {e.action: e for e in entries}
    assert set(actions) == {"readings.submit", "console.caller_identified"}
    identified = actions["console.caller_identified"]
    operator_id = next(
        s for s in await site.use_cases.list_staff(admin(site)) if s.login == OPERATOR
    ).id
    assert identified.actor_kind == "operator" and identified.actor_id == operator_id
    assert identified.channel == "phone" and identified.note == "Телефонувала власниця"
    assert '"identified_by": "account_number_and_name"' in identified.details
    assert actions["readings.submit"].channel == "phone"
    card = text_of((await site.get(f"/operator/accounts/{target}")).text)
    assert "особу того, хто звернувся, встановлено телефоном" in card
    assert "Номер рахунку та ПІБ" in card
    assert receipt[1] in card


async def resident_id_of(site: Site, login: str) -> int:
    query = select(web_logins.c.resident_id).where(web_logins.c.login == login)
    return int((await rows(site, query))[0][0])


def trail_items(html: str, action: str) -> list[str]:
    """The words of the card's trail entries of `action`, newest first."""
    found = re.findall(rf'<li data-action="{re.escape(action)}"[^>]*>(.*?)</li>', html, re.S)
    return [unescape(text_of(item)) for item in found]


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "nobodys"])
async def test_an_operator_submission_records_on_whose_behalf_and_reads_in_words(
    site: Site, linked: bool
) -> None:
    mine = [m for m in site.demo.meters if f"{m.supplier}:{m.account}" in site.demo.linked]
    pool = mine if linked else [m for m in site.demo.meters if m not in mine]
    m = next(m for m in pool if m.registers == ("T1",) and not m.note)
    await site.sign_in_staff(OPERATOR)
    target = await account_id(site, m.supplier, m.account)
    meter = await meter_id(site, m.supplier, m.serial)
    value = m.values["T1"][-1] + Decimal(1)
    answer = await send_for_caller(site, target, {f"value.{meter}.T1": str(value)})
    assert answer.status_code == 200, text_of(answer.text)
    submission = (await readings_of(site, meter))[-1].submission_id
    entries = await rows(
        site, select(audit_log).where(audit_log.c.subject == f"submission:{submission}")
    )
    resident = await resident_id_of(site, RESIDENT) if linked else None
    assert [e.on_behalf_of for e in entries] == [resident, resident]
    identified = next(e for e in entries if e.action == "console.caller_identified")
    assert json.loads(identified.details)["holder"] == m.holder

    page = await site.get(f"/operator/accounts/{target}")
    assert "submission:" not in text_of(page.text)
    sent = trail_items(page.text, "readings.submit")[0]
    surname, first = m.holder.split()[:2]
    decimals = len(str(value).partition(".")[2])
    shown = number(value, decimals).replace("\u202f", " ")  # the page's words, spaces folded
    assert f"показник {shown} лічильника {m.serial} надіслано телефоном" in sent
    operator = DEMO_STAFF[0][1]
    assert f"оператором {operator}, від імені {surname} {first[0]}." in sent
    site.client.cookies.set(LANGUAGE_COOKIE, "en")
    english = trail_items((await site.get(f"/operator/accounts/{target}")).text, "readings.submit")
    in_english = formats.number(value, "en", decimals)
    assert f"reading {in_english} of meter {m.serial} sent by phone" in english[0]
    assert f"by operator {operator}, on behalf of {surname} {first[0]}." in english[0]


async def test_a_residents_own_changes_read_in_the_trail_with_their_name(site: Site) -> None:
    """What a resident did in the cabinet (a water heater marked on a meter) reads in the
    operator's trail with the resident's name and the cabinet as the channel."""
    await site.sign_in()
    home = (await site.get("/")).text
    meter = int(re.findall(r'action="/meters/(\d+)/water-heater"', home)[0])
    answer = await site.post(f"/meters/{meter}/water-heater", {"water_heater": "yes"})
    assert answer.status_code == 303
    await site.sign_out()
    storage = SqlStorage(engine_of(site))
    async with storage():
        (found,) = await storage.meters.contexts([meter], lock=False)
    await site.sign_in_staff(OPERATOR)
    page = await site.get(f"/operator/accounts/{found.account.id}")
    (marked,) = trail_items(page.text, "meter.water_heater")
    assert f"лічильник {found.meter.serial} позначено як лічильник з бойлером" in marked
    assert marked.endswith(f"у вебкабінеті мешканцем {short_name(DEMO_RESIDENT)}")
    assert 'data-channel="web"' in page.text


def admin(site: Site) -> Any:
    from komunalka.domain.staff import StaffMember, StaffRole

    return StaffMember(0, ADMIN, "a", StaffRole.ADMINISTRATOR)


async def test_a_district_operator_takes_readings_at_the_service_center(site: Site) -> None:
    m = demo_meter(site, "kvk", district=HOME_DISTRICT)
    await site.sign_in_staff(DISTRICT)
    target = await account_id(site, "kvk", m.account)
    meter = await meter_id(site, "kvk", m.serial)
    value = m.values["T1"][-1] + Decimal(2)
    answer = await send_for_caller(
        site, target, {f"value.{meter}.T1": str(value)}, identified_by="document"
    )
    assert answer.status_code == 200, text_of(answer.text)
    assert (await readings_of(site, meter))[-1].channel == "service_center"
    refused = await send_for_caller(
        site, target, {f"value.{meter}.T1": str(value + 1)}, channel="phone"
    )
    assert refused.status_code == 400
    assert "Цей канал вам недоступний" in refused.text


async def test_without_a_note_or_identification_nothing_is_stored(site: Site) -> None:
    m = demo_meter(site, "kte")
    await site.sign_in_staff(OPERATOR)
    target = await account_id(site, "kte", m.account)
    meter = await meter_id(site, "kte", m.serial)
    before = await readings_of(site, meter)
    value = str(m.values["T1"][-1] + Decimal(1))
    answer = await send_for_caller(
        site, target, {f"value.{meter}.T1": value}, note="  ", identified_by=""
    )
    assert answer.status_code == 400
    assert 'role="alert"' in answer.text
    assert "Напишіть примітку до звернення." in answer.text
    assert "Зазначте, як ідентифіковано абонента." in answer.text
    assert value in answer.text  # what was typed is kept
    assert await readings_of(site, meter) == before


async def test_a_double_submit_with_one_client_key_takes_effect_once(site: Site) -> None:
    m = demo_meter(site, "kte")
    await site.sign_in_staff(OPERATOR)
    target = await account_id(site, "kte", m.account)
    meter = await meter_id(site, "kte", m.serial)
    before = len(await readings_of(site, meter))
    form = {
        f"value.{meter}.T1": str(m.values["T1"][-1] + Decimal(1)),
        "identified_by": "meter_serial",
        "note": "Дзвінок",
        "client_key": "fixed-key-1",
    }
    first = await site.post(f"/operator/accounts/{target}/readings", form)
    second = await site.post(f"/operator/accounts/{target}/readings", form)
    assert first.status_code == second.status_code == 200
    receipts = [
        re.findall(r'<code class="receipt">([^<]+)</code>', a.text) for a in (first, second)
    ]
    assert receipts[0] == receipts[1] and len(receipts[0]) == 1
    stored = await readings_of(site, meter)
    assert len(stored) == before + 1
    identified = await rows(
        site, select(audit_log).where(audit_log.c.action == "console.caller_identified")
    )
    assert len(identified) == 1


async def test_a_warning_is_sent_only_after_it_is_confirmed(site: Site) -> None:
    m = demo_meter(site, "kte")
    await site.sign_in_staff(OPERATOR)
    target = await account_id(site, "kte", m.account)
    meter = await meter_id(site, "kte", m.serial)
    before = len(await readings_of(site, meter))
    jump = str(m.values["T1"][-1] + Decimal(900))
    warned = await send_for_caller(site, target, {f"value.{meter}.T1": jump})
    assert warned.status_code == 400
    assert "Підтвердити й надіслати" in warned.text
    confirm = re.search(rf'name="confirm\.{meter}\.T1" value="([a-z_.,]+)"', warned.text)
    assert confirm is not None and "reading.jump" in confirm[1]
    assert len(await readings_of(site, meter)) == before
    form = {
        f"value.{meter}.T1": jump,
        f"confirm.{meter}.T1": confirm[1],
        "identified_by": "account_number_and_name",
        "note": "Абонент підтвердив показник",
        "client_key": client_key(warned.text),
    }
    accepted = await site.post(f"/operator/accounts/{target}/readings", form)
    assert accepted.status_code == 200, text_of(accepted.text)
    assert len(await readings_of(site, meter)) == before + 1


async def test_an_unchanged_register_repeats_the_previous_value(site: Site) -> None:
    m = demo_meter(site, "kte")
    await site.sign_in_staff(OPERATOR)
    target = await account_id(site, "kte", m.account)
    meter = await meter_id(site, "kte", m.serial)
    answer = await send_for_caller(site, target, {f"same.{meter}.T1": "1"})
    assert answer.status_code == 200, text_of(answer.text)
    stored = (await readings_of(site, meter))[-1]
    assert Decimal(stored.value_milli) / 1000 == m.values["T1"][-1]


async def test_an_operator_corrects_a_reading_by_its_receipt(site: Site) -> None:
    m = demo_meter(site, "kte")
    await site.sign_in_staff(OPERATOR)
    target = await account_id(site, "kte", m.account)
    meter = await meter_id(site, "kte", m.serial)
    sent = await send_for_caller(
        site, target, {f"value.{meter}.T1": str(m.values["T1"][-1] + Decimal(2))}
    )
    receipt = re.search(r'<code class="receipt">([^<]+)</code>', sent.text)
    assert receipt is not None
    card = await site.get(f"/operator/accounts/{target}")
    link = f"/operator/accounts/{target}/corrections/{receipt[1]}"
    assert link in card.text
    form_page = await site.get(link)
    assert form_page.status_code == 200
    fixed = str(m.values["T1"][-1] + Decimal(1))
    form = {
        "value": fixed,
        "identified_by": "account_number_and_name",
        "note": "Помилилася цифрою",
        "client_key": client_key(form_page.text),
    }
    answer = await site.post(link, form)
    assert answer.status_code == 200, text_of(answer.text)
    assert "виправлено" in answer.text
    stored = await readings_of(site, meter)
    assert [r.status for r in stored[-2:]] == ["superseded", "accepted"]
    assert Decimal(stored[-1].value_milli) / 1000 == Decimal(fixed)
    assert stored[-1].channel == "phone"
    # a receipt of another account cannot be corrected through this one
    other = demo_meter(site, "kvk")
    elsewhere = await account_id(site, "kvk", other.account)
    assert (
        await site.get(f"/operator/accounts/{elsewhere}/corrections/{receipt[1]}")
    ).status_code == 404


# --- administrators ------------------------------------------------------------------------------


async def test_an_administrator_adds_a_district_operator_and_a_taken_login_is_refused(
    site: Site,
) -> None:
    await site.sign_in_staff(ADMIN)
    assert OPERATOR in (await site.get("/operator/staff")).text
    form = {
        "login": "new.district@komunalka.test",
        "name": "Нова Операторка",
        "role": "district",
        "district": "Оболонський",
        "password": "a-long-password-2",
    }
    added = await site.post("/operator/staff/new", form)
    assert added.status_code == 303
    listed = text_of((await site.get("/operator/staff")).text)
    assert "Нова Операторка" in listed and "Оболонський" in listed
    taken = await site.post("/operator/staff/new", {**form, "login": OPERATOR})
    assert taken.status_code == 400
    assert 'role="alert"' in taken.text
    no_district = await site.post(
        "/operator/staff/new", {**form, "login": "x@komunalka.test", "district": ""}
    )
    assert no_district.status_code == 400
    assert text_of((await site.get("/operator/staff")).text).count("Нова Операторка") == 1


async def test_deactivating_a_member_ends_their_session(site: Site) -> None:
    await site.sign_in_staff(OPERATOR)
    assert (await site.get("/operator")).status_code == 200
    operator_cookie = site.client.cookies.get(SESSION_COOKIE)
    site.client.cookies.delete(SESSION_COOKIE)
    await site.sign_in_staff(ADMIN)
    members = await site.use_cases.list_staff(admin(site))
    operator_id = next(s.id for s in members if s.login == OPERATOR)
    page = await site.get(f"/operator/staff/{operator_id}")
    assert page.status_code == 200
    answer = await site.post(
        f"/operator/staff/{operator_id}", {"role": "call_center", "district": ""}
    )
    assert answer.status_code == 303
    assert "вимкнено" in (await site.get("/operator/staff")).text
    site.client.cookies.set(SESSION_COOKIE, operator_cookie or "")
    after = await site.get("/operator")
    assert after.status_code == 303 and after.headers["location"].startswith("/staff/sign-in")
    refused = await site.post("/staff/sign-in", {"login": OPERATOR, "password": PASSWORD})
    assert refused.status_code == 400


async def test_an_administrator_edits_a_supplier_and_a_bad_window_rule_changes_nothing(
    site: Site,
) -> None:
    await site.sign_in_staff(ADMIN)
    listed = text_of((await site.get("/operator/suppliers")).text)
    assert "Київтеплоенерго" in listed and "5..-1" in listed
    records = await site.use_cases.list_suppliers(admin(site))
    kte = next(r for r in records if r.supplier.code == "kte")
    form: dict[str, Any] = {
        "code": "kte",
        "name": "Київтеплоенерго",
        "window_rule": "every day",
        "timezone": "Europe/Kyiv",
        "account_pattern": r"\d{10}",
        "services": ["heat", "hot_water"],
    }
    bad = await site.post(f"/operator/suppliers/{kte.supplier.id}", form)
    assert bad.status_code == 400 and 'role="alert"' in bad.text
    for change in (
        {"account_pattern": "(unclosed"},
        {"code": "kvk"},
        {"services": []},
        {"timezone": "Mars/Base"},
    ):
        refused = await site.post(
            f"/operator/suppliers/{kte.supplier.id}", {**form, "window_rule": "5..-1", **change}
        )
        assert refused.status_code == 400, change
    unchanged = await site.use_cases.list_suppliers.one(admin(site), kte.supplier.id)
    assert unchanged == kte
    good = await site.post(
        f"/operator/suppliers/{kte.supplier.id}", {**form, "window_rule": "3..-1"}
    )
    assert good.status_code == 303
    changed = await site.use_cases.list_suppliers.one(admin(site), kte.supplier.id)
    assert str(changed.supplier.window) == "3..-1"
    trail = await rows(
        site, select(audit_log).where(audit_log.c.subject == f"supplier:{kte.supplier.id}")
    )
    assert [e.action for e in trail] == ["suppliers.update"]


async def test_an_administrator_adds_a_supplier(site: Site) -> None:
    await site.sign_in_staff(ADMIN)
    form = {
        "code": "teplo2",
        "name": "Тепло-2",
        "window_rule": "1..10",
        "timezone": "Europe/Kyiv",
        "account_pattern": r"\d{9}",
        "services": ["heat"],
    }
    assert (await site.post("/operator/suppliers/new", form)).status_code == 303
    assert "Тепло-2" in (await site.get("/operator/suppliers")).text
    again = await site.post("/operator/suppliers/new", form)
    assert again.status_code == 400
    assert "teplo2" in again.text
