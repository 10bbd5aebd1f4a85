"""The resident cabinet over HTTP: sign-up and sign-in, reset links, Telegram's Login Widget,
linking accounts, sending every due reading in one form, history with its chart and CSV, the
profile; and that no page shows another resident's data."""

from __future__ import annotations

import hashlib
import hmac
import re
from html import unescape
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, func, select

from komunalka.adapters.db.dialogs import SqlDialogStateStore
from komunalka.adapters.db.tables import (
    account_links,
    audit_log,
    outbox,
    readings,
    resident_profiles,
    residents,
    submissions,
    web_logins,
)
from komunalka.application.accounts.link_account import LinkAccountRequest
from komunalka.application.shared.actors import Actor
from komunalka.application.system.demo_data import DemoMeter
from komunalka.channels.pages.security import LANGUAGE_COOKIE, SESSION_COOKIE
from komunalka.domain.services import Channel
from tests.channels.pages import RESIDENT, TELEGRAM_TOKEN, Site, text_of
from tests.fakes import kyiv

NEW_LOGIN = "olena@example.com"
# A receipt number on the receipts page, whole in its own element (selected whole to copy it).
RECEIPT = r'<strong class="receipt-no">(\S+)</strong>'


def receipts_in(page: str) -> list[str]:
    """The receipts a page shows, each once (the table names each, and so does its QR card)."""
    return list(dict.fromkeys(re.findall(RECEIPT, page)))


NEW_PASSWORD = "very-secret-1"


async def count(site: Site, table: Table) -> int:
    engine = site.client._transport.app.state.container.engine  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def sign_up(site: Site, login: str = NEW_LOGIN, language: str = "uk") -> Any:
    form = {
        "name": "Олена Ткаченко",
        "login": login,
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
        "language": language,
    }
    answer = await site.post("/sign-up", form)
    assert answer.status_code == 303, answer.text
    return answer


def demo_meters(site: Site, flat: int, supplier: str) -> list[DemoMeter]:
    return [m for m in site.demo.meters if m.flat == flat and m.supplier == supplier]


async def link(site: Site, flat: int, supplier: str) -> None:
    meter = demo_meters(site, flat, supplier)[0]
    form = {"supplier": "", "number": meter.account, "proof": meter.holder[:3]}
    check = await site.post("/link", form)
    assert check.status_code == 200, text_of(check.text)
    assert "Так, додати" in check.text
    done = await site.post("/link", {**form, "supplier": supplier, "step": "confirm"})
    assert done.status_code == 303
    assert done.headers["location"] == "/?done=linked"


def form_of(html: str) -> dict[str, str]:
    """The reading form's hidden fields and the registers it asks for (empty values)."""
    fields = {"client_key": re.search(r'name="client_key" value="([^"]+)"', html)[1]}  # type: ignore[index]
    for key in re.findall(r'name="v\.([0-9]+\.[A-Za-z_0-9]+)"', html):
        fields[f"v.{key}"] = ""
    for key, value in re.findall(r'name="prev\.([^"]+)" value="([^"]*)"', html):
        fields[f"prev.{key}"] = value
    return fields


def registers(fields: dict[str, str]) -> list[str]:
    return [k[2:] for k in fields if k.startswith("v.")]


def bumped(fields: dict[str, str], key: str, by: str = "1") -> str:
    return str(float(fields[f"prev.{key}"]) + float(by))


# --- signing up and in ---------------------------------------------------------------------------


async def test_the_landing_page_says_what_the_service_does(site: Site) -> None:
    page = await site.get("/")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Показники лічильників — в одному місці" in text
    assert 'href="/sign-up"' in page.text and 'href="/sign-in"' in page.text


async def test_sign_up_opens_an_empty_dashboard_that_asks_to_link_an_account(site: Site) -> None:
    answer = await sign_up(site)
    assert answer.headers["location"] == "/"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    for flag in ("HttpOnly", "Secure", "SameSite=Lax", "Max-Age=1209600"):
        assert flag in cookie
    home = await site.get("/")
    assert "Додайте свій перший рахунок" in text_of(home.text)
    assert 'href="/link"' in home.text
    assert 'aria-current="page"' in home.text


@pytest.mark.parametrize(
    ("language", "form", "message"),
    [
        ("uk", {"login": RESIDENT}, "Цей логін уже зареєстровано"),
        ("en", {"login": RESIDENT}, "This login is registered already"),
        ("uk", {"password": "short", "password_confirm": "short"}, "щонайменше 8 символів"),
        ("en", {"password": "short", "password_confirm": "short"}, "at least 8 characters"),
        ("uk", {"password_confirm": "another-one"}, "Паролі не збігаються"),
        ("en", {"password_confirm": "another-one"}, "The passwords do not match"),
        ("en", {"login": "not a login"}, "Enter an e-mail address"),
    ],
)
async def test_sign_up_errors_are_told_in_the_readers_language_and_create_nothing(
    site: Site, language: str, form: dict[str, str], message: str
) -> None:
    before = (await count(site, residents), await count(site, web_logins))
    await site.post("/language", {"language": language, "next": "/sign-up"})
    data = {
        "name": "Олена",
        "login": NEW_LOGIN,
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
        "language": "uk",
        **form,
    }
    answer = await site.post("/sign-up", data)
    assert answer.status_code == 400
    assert message in text_of(answer.text)
    assert 'role="alert"' in answer.text
    assert data["login"] in answer.text  # what was typed stays
    assert NEW_PASSWORD not in answer.text  # passwords never come back
    assert (await count(site, residents), await count(site, web_logins)) == before
    assert SESSION_COOKIE not in site.client.cookies


async def test_sign_in_and_out(site: Site) -> None:
    wrong = await site.post("/sign-in", {"login": RESIDENT, "password": "wrong-password"})
    assert wrong.status_code == 400
    assert "Неправильний логін або пароль." in text_of(wrong.text)
    assert RESIDENT in wrong.text
    answer = await site.post(
        "/sign-in", {"login": RESIDENT, "password": "komunalka-demo", "next": "/profile"}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/profile"
    assert "Мої лічильники" in (await site.get("/")).text
    out = await site.post("/sign-out")
    assert out.headers["location"] == "/"
    again = await site.get("/readings")
    assert again.status_code == 303
    assert again.headers["location"] == "/sign-in?next=/readings"


async def test_a_forgotten_password_is_reset_by_the_link_in_the_outbox(site: Site) -> None:
    await sign_up(site)
    await site.sign_out()
    answer = await site.post("/password/forgot", {"login": NEW_LOGIN})
    unknown = await site.post("/password/forgot", {"login": "nobody@example.com"})
    for page in (answer, unknown):
        assert page.status_code == 200
        assert "Якщо такий логін зареєстровано" in text_of(page.text)
    engine = site.client._transport.app.state.container.engine  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.recipient, outbox.c.body))).all()
    assert [r.recipient for r in rows] == [NEW_LOGIN]
    link = re.search(r"https://test(/password/reset/\S+)", rows[0].body)
    assert link is not None
    mismatch = await site.post(link[1], {"password": "new-pass-1", "password_confirm": "other-1"})
    assert mismatch.status_code == 400
    reset = await site.post(link[1], {"password": "new-pass-1", "password_confirm": "new-pass-1"})
    assert reset.status_code == 303
    assert "Пароль змінено" in (await site.get(reset.headers["location"])).text
    await site.sign_out()
    await site.sign_in(NEW_LOGIN, "new-pass-1")
    await site.sign_out()
    used = await site.post(link[1], {"password": "third-pass", "password_confirm": "third-pass"})
    assert used.status_code == 400
    assert "Посилання" in text_of(used.text)


def widget(fields: dict[str, str], token: str = TELEGRAM_TOKEN) -> dict[str, str]:
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    key = hashlib.sha256(token.encode()).digest()
    return {**fields, "hash": hmac.new(key, check.encode(), hashlib.sha256).hexdigest()}


async def test_telegram_login_widget_signs_in_and_a_forged_hash_does_not(site: Site) -> None:
    when = str(int(site.clock.now().timestamp()) - 60)
    fields = widget({"id": "777", "first_name": "Тарас", "username": "taras", "auth_date": when})
    # a link cannot sign anyone in: only a form with the page's CSRF token
    assert (await site.get("/auth/telegram", params=fields)).status_code == 405
    assert (await site.post("/auth/telegram", fields, csrf=False)).status_code == 403
    forged = await site.post("/auth/telegram", {**fields, "id": "778"})
    assert forged.status_code == 400
    assert "Telegram" in text_of(forged.text)
    assert SESSION_COOKIE not in site.client.cookies
    answer = await site.post("/auth/telegram", fields)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    profile = await site.get("/profile")
    assert "Telegram · під'єднано" in unescape(text_of(profile.text))


async def test_the_telegram_widget_shows_only_when_the_bot_is_named(site: Site) -> None:
    page = await site.get("/sign-in")
    assert "telegram-widget.js" not in page.text


# --- linking ------------------------------------------------------------------------------------


async def test_linking_shows_the_masked_holder_first_and_links_on_yes(site: Site) -> None:
    await sign_up(site)
    meter = demo_meters(site, 4, "kte")[0]
    form = {"supplier": "", "number": meter.account, "proof": meter.holder[:3].lower()}
    check = await site.post("/link", form)
    assert "Тка***** " in check.text
    assert meter.address in check.text
    assert await count(site, account_links) == 6  # the demo resident's links only
    await link(site, 4, "kte")
    home = text_of((await site.get("/?done=linked")).text)
    assert "Рахунок додано" in home
    assert meter.serial in home
    again = await site.post("/link", form)
    assert "Цей рахунок уже є у вашому кабінеті." in text_of(again.text)


def asks_for_a_proof(html: str) -> bool:
    return 'name="proof"' in html or 'action="/link"' in html


async def test_wrong_proofs_are_limited_and_the_last_one_asks_for_no_proof(site: Site) -> None:
    await sign_up(site)
    meter = demo_meters(site, 4, "kte")[0]
    wrong = {"supplier": "kte", "number": meter.account, "proof": "Абв"}
    for left in (4, 3, 2, 1):
        answer = await site.post("/link", wrong)
        assert answer.status_code == 400
        assert f"не збігається. Залишилося спроб: {left}." in text_of(answer.text)
        assert asks_for_a_proof(answer.text)
    last = await site.post("/link", wrong)
    assert last.status_code == 429
    words = text_of(last.text)
    assert "Спроб більше не залишилося: спробуйте через 60 хв" in words
    assert "кол-центру" in words and "Залишилося спроб: 0" not in words
    assert not asks_for_a_proof(last.text)
    right = {**wrong, "proof": meter.serial}
    locked = await site.post("/link", right)
    assert locked.status_code == 429
    assert "Забагато невдалих спроб. Спробуйте через 60 хв" in text_of(locked.text)
    assert not asks_for_a_proof(locked.text)
    assert await count(site, account_links) == 6
    site.client.cookies.set(LANGUAGE_COOKIE, "en")
    english = text_of((await site.post("/link", right)).text)
    assert "Too many failed attempts. Try again in 60 min" in english


# --- sending readings ---------------------------------------------------------------------------


async def test_all_due_readings_go_in_one_form_with_unchanged_in_one_click(site: Site) -> None:
    await sign_up(site)
    await link(site, 4, "kte")
    await link(site, 4, "kvk")
    page = await site.get("/readings")
    assert page.status_code == 200
    fields = form_of(page.text)
    keys = registers(fields)
    # open on 2026-11-20: Kyivteploenergo (hot water, heat) and Kyivvodokanal (two water meters)
    assert len(keys) == 4
    assert "Попередній:" in page.text and "Без змін" in page.text
    assert 'data-copy-from="' in page.text
    first, *rest = keys
    fields[f"same.{first}"] = "yes"  # unchanged, without JavaScript
    for key in rest:
        fields[f"v.{key}"] = bumped(fields, key).replace(".", ",")
    before = await count(site, readings)
    answer = await site.post("/readings", fields)
    assert answer.status_code == 200, text_of(answer.text)
    text = text_of(answer.text)
    assert "Показники прийнято" in text
    receipts = receipts_in(answer.text)
    assert len(receipts) == 4
    assert await count(site, readings) == before + 4
    assert await count(site, submissions) >= 1
    home = await site.get("/")
    assert home.text.count('class="status sent"') == 4
    assert "Зараз нічого передавати не треба." in text_of((await site.get("/readings")).text)


async def test_an_empty_form_says_so_and_stores_nothing(site: Site) -> None:
    await sign_up(site)
    await link(site, 4, "kvk")
    fields = form_of((await site.get("/readings")).text)
    answer = await site.post("/readings", fields)
    assert answer.status_code == 400
    assert "Введіть хоча б один показник." in text_of(answer.text)


async def test_a_jump_needs_a_confirmation(site: Site) -> None:
    await sign_up(site)
    await link(site, 4, "kvk")
    fields = form_of((await site.get("/readings")).text)
    key = registers(fields)[0]
    fields[f"v.{key}"] = bumped(fields, key, "900")
    before = await count(site, readings)
    warned = await site.post("/readings", fields)
    assert warned.status_code == 400
    assert "значно більше за звичне" in text_of(warned.text)
    assert f'name="confirm.{key}" value="reading.jump"' in warned.text
    assert await count(site, readings) == before
    again = form_of(warned.text)
    assert again["client_key"] == fields["client_key"]  # nothing was written under it
    confirmed = {**fields, f"confirm.{key}": "reading.jump"}
    answer = await site.post("/readings", confirmed)
    assert answer.status_code == 200, text_of(answer.text)
    assert await count(site, readings) == before + 1


async def test_garbage_numbers_are_refused_next_to_their_field_and_nothing_is_stored(
    site: Site,
) -> None:
    await sign_up(site)
    await link(site, 4, "kte")
    fields = form_of((await site.get("/readings")).text)
    good, bad = registers(fields)[:2]
    fields[f"v.{good}"] = bumped(fields, good)
    fields[f"v.{bad}"] = "12a"
    before = await count(site, readings)
    answer = await site.post("/readings", fields)
    assert answer.status_code == 400
    text = text_of(answer.text)
    assert "«12a» — не число" in text
    assert "нічого не збережено" in text
    assert f'id="e-{bad}"' in answer.text and 'aria-invalid="true"' in answer.text
    assert 'value="12a"' in answer.text  # what was typed stays
    assert await count(site, readings) == before


async def test_a_double_submit_takes_effect_once_and_shows_the_same_receipts(site: Site) -> None:
    await sign_up(site)
    await link(site, 4, "kvk")
    await link(site, 4, "kte")
    fields = form_of((await site.get("/readings")).text)
    for key in registers(fields)[:2]:
        fields[f"v.{key}"] = bumped(fields, key)
    before = (await count(site, readings), await count(site, submissions))
    first = await site.post("/readings", fields)
    second = await site.post("/readings", fields)
    assert first.status_code == second.status_code == 200
    receipts = receipts_in(first.text)
    assert receipts and receipts == receipts_in(second.text)
    after = (await count(site, readings), await count(site, submissions))
    assert after == (before[0] + 2, before[1] + 1)
    fresh = form_of((await site.get("/readings")).text)
    assert fresh["client_key"] != fields["client_key"]


# --- history ------------------------------------------------------------------------------------


async def meter_ids(site: Site) -> list[int]:
    return [int(i) for i in re.findall(r'href="/meters/(\d+)"', (await site.get("/")).text)]


async def test_history_shows_the_table_the_chart_and_a_csv(site: Site) -> None:
    await site.sign_in()
    demo = demo_meters(site, 1, "yasno")[0]
    home = await site.get("/")
    meter_id = int(
        re.search(
            rf'href="/meters/(\d+)">[^<]*</a><br>\s*<span class="muted">№ {demo.serial}', home.text
        )[1]
    )  # type: ignore[index]
    page = await site.get(f"/meters/{meter_id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert demo.serial in text
    assert "≈" in text and "грн" in text  # electricity has a (demo) tariff
    assert "орієнтовно, за демонстраційним тарифом" in text
    assert page.text.count("<tr") == 13  # the header and the last 12 readings
    assert f'src="/meters/{meter_id}/chart.png"' in page.text
    chart = await site.get(f"/meters/{meter_id}/chart.png")
    assert chart.status_code == 200
    assert chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    etag = chart.headers["etag"]
    assert chart.headers["cache-control"] == "private, no-cache"
    again = await site.get(f"/meters/{meter_id}/chart.png", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = await site.get(f"/meters/{meter_id}/chart.png", headers={"If-None-Match": '"x"'})
    assert other.status_code == 200 and other.headers["etag"] == etag
    csv = await site.get(f"/meters/{meter_id}/history.csv")
    assert csv.status_code == 200
    assert csv.headers["content-disposition"].startswith("attachment;")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "period,register,value,consumption,submitted_at,channel,receipt,status"
    assert len(lines) == 13  # a year of readings
    assert all(line.count(",") == 7 for line in lines)


async def test_another_residents_meters_and_accounts_are_not_found(site: Site) -> None:
    await site.sign_in()
    theirs = await meter_ids(site)
    account = int(
        re.search(r'action="/accounts/(\d+)/unlink"', (await site.get("/profile")).text)[1]
    )  # type: ignore[index]
    await site.sign_out()
    await sign_up(site)
    for path in ("/meters/{}", "/meters/{}/chart.png", "/meters/{}/history.csv"):
        answer = await site.get(path.format(theirs[0]))
        assert answer.status_code == 404
    assert (await site.get("/meters/999999")).status_code == 404
    unlink = await site.post(f"/accounts/{account}/unlink", {"confirmed": "yes"})
    assert unlink.status_code == 404
    before = await count(site, readings)
    forged = await site.post(
        "/readings", {"client_key": "k1", f"v.{theirs[0]}.T1": "1", f"v.{theirs[1]}.T1": "1"}
    )
    assert forged.status_code == 400
    assert "Лічильник не знайдено серед ваших рахунків." in text_of(forged.text)
    assert await count(site, readings) == before
    assert await count(site, account_links) == 6


async def test_unlinking_asks_first(site: Site) -> None:
    await sign_up(site)
    await link(site, 4, "kvk")
    profile = await site.get("/profile")
    account = re.search(r'action="/accounts/(\d+)/unlink"', profile.text)[1]  # type: ignore[index]
    ask = await site.post(f"/accounts/{account}/unlink")
    assert ask.status_code == 200
    assert "Прибрати рахунок?" in text_of(ask.text)
    assert await count(site, account_links) == 7
    done = await site.post(f"/accounts/{account}/unlink", {"confirmed": "yes"})
    assert done.headers["location"] == "/profile?done=unlinked"
    assert await count(site, account_links) == 6


# --- profile ------------------------------------------------------------------------------------


async def test_the_profile_language_changes_the_pages_language(site: Site) -> None:
    await sign_up(site)
    form = {"language": "en", "reminder_channel": "none", "contact": NEW_LOGIN}
    answer = await site.post("/profile", form)
    assert answer.status_code == 303
    assert any(c.startswith(f"{LANGUAGE_COOKIE}=en") for c in answer.headers.get_list("set-cookie"))
    page = await site.get("/profile?done=profile")
    assert '<html lang="en">' in page.text
    assert "Your profile is saved." in text_of(page.text)
    engine = site.client._transport.app.state.container.engine  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        saved = (await conn.execute(select(resident_profiles.c.language))).scalars().all()
    assert "en" in saved


async def test_reminders_need_a_reachable_channel_and_consent(site: Site) -> None:
    await sign_up(site)
    audits = await count(site, audit_log)
    cases = [
        ({"reminder_channel": "email"}, "позначте згоду"),
        ({"reminder_channel": "telegram", "consent": "yes"}, "спершу під'єднайте Telegram"),
        ({"reminder_channel": "sms", "consent": "yes"}, "вкажіть номер телефону"),
        ({"reminder_channel": "email", "consent": "yes", "contact": "+380671234567"}, "поштою"),
        ({"reminder_channel": "fax", "consent": "yes"}, "Невідомий спосіб"),
        ({"reminder_channel": "none", "contact": "nonsense"}, "Контакт має бути"),
    ]
    for change, message in cases:
        form = {"language": "uk", "contact": NEW_LOGIN, **change}
        answer = await site.post("/profile", form)
        assert answer.status_code == 400, change
        assert message in unescape(text_of(answer.text)), change
    assert await count(site, audit_log) == audits
    ok = await site.post(
        "/profile",
        {"language": "uk", "reminder_channel": "email", "consent": "yes", "contact": NEW_LOGIN},
    )
    assert ok.status_code == 303
    page = text_of((await site.get("/profile")).text)
    assert "Згоду надано 20.11.2026" in page
    assert await count(site, audit_log) == audits + 1
    off = await site.post("/profile", {"language": "uk", "reminder_channel": "none", "contact": ""})
    assert off.status_code == 303
    assert "Згоду надано" not in text_of((await site.get("/profile")).text)


# --- who may see what ---------------------------------------------------------------------------

RESIDENT_PAGES = ("/link", "/readings", "/profile", "/meters/1", "/meters/1/chart.png")


@pytest.mark.parametrize("path", RESIDENT_PAGES)
async def test_resident_pages_send_strangers_to_sign_in_and_refuse_staff(
    site: Site, path: str
) -> None:
    anonymous = await site.get(path)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in?next=")
    await site.sign_in_staff("operator@komunalka.test")
    assert (await site.get(path)).status_code == 403
    assert (await site.get("/")).headers["location"] == "/operator"


async def test_a_reading_of_the_open_period_can_be_corrected_and_both_stay(site: Site) -> None:
    await sign_up(site)
    await link(site, 4, "kvk")
    fields = form_of((await site.get("/readings")).text)
    key = registers(fields)[0]
    meter_id = key.split(".")[0]
    fields[f"v.{key}"] = bumped(fields, key, "2")
    sent = await site.post("/readings", fields)
    receipt = re.search(RECEIPT, sent.text)[1]  # type: ignore[index]
    page = await site.get(f"/meters/{meter_id}")
    assert "Виправити показник цього періоду" in text_of(page.text)
    correction = form_of_correction(page.text, receipt)
    below = await site.post(
        f"/meters/{meter_id}/correct", {**correction, "value": bumped(fields, key, "-5")}
    )
    assert below.status_code == 400
    assert "менший за попередній" in text_of(below.text)
    before = await count(site, readings)
    value = bumped(fields, key, "1")
    done = await site.post(f"/meters/{meter_id}/correct", {**correction, "value": value})
    assert done.status_code == 200, text_of(done.text)
    assert "виправлення" in text_of(done.text)
    assert await count(site, readings) == before + 1
    history = text_of((await site.get(f"/meters/{meter_id}")).text)
    assert "замінено виправленням" in history
    stranger = await site.post(f"/meters/{meter_id}/correct", {**correction, "receipt": "X-1"})
    assert stranger.status_code == 404


def form_of_correction(html: str, receipt: str) -> dict[str, str]:
    assert f'name="receipt" value="{receipt}"' in html
    key = re.search(r'name="client_key" value="([^"]+)"', html)[1]  # type: ignore[index]
    return {"receipt": receipt, "client_key": key}


async def test_the_telegram_widget_shows_when_the_bot_is_named(site: Site) -> None:
    from komunalka.bootstrap.app import create_app
    from komunalka.bootstrap.container import Container
    from tests.channels.pages import settings_for

    container = site.client._transport.app.state.container  # type: ignore[attr-defined]
    settings = settings_for(container.settings.database_url, telegram_bot_name="komunalka_bot")
    app = create_app(container=Container(settings, container.engine, site.use_cases))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
        page = await client.get("/sign-in")
    assert 'data-telegram-login="komunalka_bot"' in page.text
    assert "komunalkaTelegram(user, '/auth/telegram')" in unescape(page.text)


async def test_a_web_resident_adds_telegram_and_gets_the_bots_accounts(site: Site) -> None:
    """The bot knew Telegram user 4242 as a resident with an account; the web resident adds that
    Telegram account on the profile page: one resident, the account linked, the bot agrees."""
    bot_user = await site.use_cases.identify_resident(Channel.TELEGRAM, "4242", "Тарас")
    # the bot's conversation remembers who the user is
    engine = site.client._transport.app.state.container.engine  # type: ignore[attr-defined]
    dialogs = SqlDialogStateStore(engine)
    remembered = {"identity": {"resident": bot_user.resident_id}, "step": "menu"}
    await dialogs.save("telegram", "4242", remembered)
    account = site.demo.meters[-1]
    proof = LinkAccountRequest(
        Actor.resident(bot_user.resident_id, Channel.TELEGRAM),
        account.account,
        supplier_code=account.supplier,
        proof=account.holder[:3],
    )
    await site.use_cases.link_account(proof)
    await site.post(
        "/sign-up",
        {
            "name": "Тарас",
            "login": "taras@example.com",
            "password": "correct horse",
            "password_confirm": "correct horse",
            "language": "uk",
        },
    )
    when = str(int(site.clock.now().timestamp()) - 60)
    fields = widget({"id": "4242", "first_name": "Тарас", "auth_date": when})
    assert (await site.post("/profile/telegram", {**fields, "id": "4243"})).status_code == 400
    answer = await site.post("/profile/telegram", fields)
    assert answer.status_code == 303
    profile = unescape(text_of((await site.get("/profile?done=telegram")).text))
    assert "Telegram додано" in profile
    assert account.account in profile
    again = await site.use_cases.identify_resident(Channel.TELEGRAM, "4242", "Тарас")
    viewer = await site.use_cases.resolve_session(site.client.cookies.get(SESSION_COOKIE))
    assert again.resident_id == viewer.subject_id
    assert await dialogs.load("telegram", "4242") == {}  # the bot starts afresh


async def test_wrong_resident_passwords_are_limited(site: Site) -> None:
    for _ in range(5):
        await site.post("/sign-in", {"login": RESIDENT, "password": "nope-nope"})
    locked = await site.post("/sign-in", {"login": RESIDENT, "password": "komunalka-demo"})
    assert locked.status_code == 400
    assert "Забагато невдалих спроб" in text_of(locked.text)
    assert SESSION_COOKIE not in site.client.cookies


# --- water heaters ------------------------------------------------------------------------------


def heater_forms(html: str) -> list[int]:
    return [int(m) for m in re.findall(r'action="/meters/(\d+)/water-heater"', html)]


async def test_a_hot_water_meter_is_marked_as_feeding_a_boiler_and_cleared_again(
    site: Site,
) -> None:
    await site.sign_in()
    page = await site.get("/")
    hot = heater_forms(page.text)
    assert hot, "the demo resident has hot-water meters"
    assert "Бойлер (електричний водонагрівач): Немає" in text_of(page.text)
    audited = await count(site, audit_log)
    done = await site.post(f"/meters/{hot[0]}/water-heater", {"water_heater": "yes"})
    assert done.status_code == 303
    assert done.headers["location"] == "/?done=water_heater_on"
    shown = text_of((await site.get(done.headers["location"])).text)
    assert "Позначено бойлер" in shown
    assert "Бойлер (електричний водонагрівач): Є: показник гарячої води" in shown
    assert await count(site, audit_log) == audited + 1
    cleared = await site.post(f"/meters/{hot[0]}/water-heater", {"water_heater": "no"})
    assert cleared.headers["location"] == "/?done=water_heater_off"
    assert "Бойлер (електричний водонагрівач): Є" not in text_of((await site.get("/")).text)


async def test_only_a_hot_water_meter_of_ones_own_gets_a_boiler(site: Site) -> None:
    await site.sign_in()
    page = (await site.get("/")).text
    hot = heater_forms(page)
    other = [int(m) for m in re.findall(r'href="/meters/(\d+)"', page) if int(m) not in hot]
    assert other
    refused = await site.post(f"/meters/{other[0]}/water-heater", {"water_heater": "yes"})
    assert refused.status_code == 404
    await site.sign_out()
    await sign_up(site)
    theirs = await site.post(f"/meters/{hot[0]}/water-heater", {"water_heater": "yes"})
    assert theirs.status_code == 404
    engine = site.client._transport.app.state.container.engine  # type: ignore[attr-defined]
    heaters = select(func.count()).where(audit_log.c.action == "meter.water_heater")
    async with engine.connect() as conn:
        assert (await conn.execute(heaters)).scalar_one() == 0


async def test_a_zoned_meters_chart_names_its_zones_in_words_too(site: Site) -> None:
    await site.sign_in()
    await link(site, 2, "yasno")
    demo = demo_meters(site, 2, "yasno")[0]
    home = await site.get("/")
    meter_id = int(
        re.search(
            rf'href="/meters/(\d+)">[^<]*</a><br>\s*<span class="muted">№ {demo.serial}', home.text
        )[1]
    )  # type: ignore[index]
    page = await site.get(f"/meters/{meter_id}")
    assert "стовпчик місяця складено із зон (День, Ніч)" in page.text
    assert 'aria-describedby="history-table"' in page.text
    chart = await site.get(f"/meters/{meter_id}/chart.png")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG\r\n\x1a\n")


async def test_numbers_read_as_the_pages_language_writes_them_and_the_csv_stays_plain(
    site: Site,
) -> None:
    await site.sign_in()
    (meter_id, *_) = await meter_ids(site)
    ukrainian = (await site.get(f"/meters/{meter_id}")).text
    values = re.findall(r'<td class="num"[^>]*>([^<]*\d[^<]*)</td>', ukrainian)
    assert values and all("." not in v for v in values)
    assert any(re.fullmatch(r"\d{1,3}(\u202f\d{3})+(,\d+)?", v) for v in values)
    site.client.cookies.set("komunalka_lang", "en")
    english = (await site.get(f"/meters/{meter_id}")).text
    values = re.findall(r'<td class="num"[^>]*>([^<]*\d[^<]*)</td>', english)
    assert values and all("\u202f" not in v for v in values)
    assert any(re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", v) for v in values)
    csv = (await site.get(f"/meters/{meter_id}/history.csv")).text
    assert "\u202f" not in csv and re.search(r",\d{4,},", csv)  # for programs: 6771


async def test_a_meter_sendable_early_is_in_the_form_and_its_receipt_says_when_it_goes_on(
    site: Site,
) -> None:
    await sign_up(site)
    await link(site, 4, "naftogaz")  # gas: read 1st-5th for the month before, 3 days early
    site.clock.instant = kyiv(2026, 11, 28, 9)
    page = await site.get("/readings")
    note = "за листопад 2026: заздалегідь — буде передано Нафтогаз України 1 грудня 2026"
    assert note in text_of(page.text)
    fields = form_of(page.text)
    (key,) = registers(fields)
    fields[f"v.{key}"] = bumped(fields, key, "40")
    # the day before early sending starts the same answer is refused, saying from when
    site.clock.instant = kyiv(2026, 11, 27, 23, 59)
    before = await count(site, readings)
    refused = await site.post("/readings", fields)
    assert refused.status_code == 400
    assert "заздалегідь надіслати можна з 28 листопада 2026" in text_of(refused.text)
    assert await count(site, readings) == before
    site.clock.instant = kyiv(2026, 11, 28, 9)
    answer = await site.post("/readings", fields)
    assert answer.status_code == 200, text_of(answer.text)
    assert "прийнято, буде передано Нафтогаз України 1 грудня 2026" in text_of(answer.text)
    assert await count(site, readings) == before + 1
