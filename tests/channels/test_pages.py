"""What every web door shares, over HTTP: staff sign-in and sign-out, cookies, CSRF, the
language switch, and no open redirects."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from komunalka.adapters.db.tables import web_sessions
from komunalka.channels.pages.security import SESSION_COOKIE
from tests.channels.pages import OPERATOR, PASSWORD, RESIDENT, SUPPLIER, Site, text_of


async def sessions(site: Site) -> int:
    engine = site.client._transport.app.state.container.engine  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(web_sessions))).scalar_one()
        )


async def test_the_staff_sign_in_page_speaks_ukrainian_then_english(site: Site) -> None:
    page = await site.get("/staff/sign-in")
    assert page.status_code == 200
    assert "Вхід для працівників" in page.text
    assert '<html lang="uk">' in page.text
    english = await site.get("/staff/sign-in", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Staff sign-in" in english.text
    switched = await site.post("/language", {"language": "en", "next": "/staff/sign-in"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/staff/sign-in"
    assert "Staff sign-in" in (await site.get("/staff/sign-in")).text


async def test_staff_sign_in_sets_a_locked_down_cookie_and_goes_home(site: Site) -> None:
    answer = await site.sign_in_staff(OPERATOR)
    assert answer.headers["location"] == "/operator"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    for flag in ("HttpOnly", "Secure", "SameSite=Lax", "Max-Age=28800", "Path=/"):
        assert flag in cookie
    await site.sign_out()
    again = await site.sign_in_staff(SUPPLIER)
    assert again.headers["location"] == "/supplier"


async def test_a_wrong_password_is_told_in_the_readers_language(site: Site) -> None:
    answer = await site.post("/staff/sign-in", {"login": OPERATOR, "password": "wrong-one"})
    assert answer.status_code == 400
    assert "Неправильний логін або пароль." in text_of(answer.text)
    assert OPERATOR in answer.text  # the login stays filled in
    assert await sessions(site) == 0


async def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(site: Site) -> None:
    await site.get("/staff/sign-in")
    form = {"login": OPERATOR, "password": PASSWORD}
    missing = await site.post("/staff/sign-in", form, csrf=False)
    forged = await site.post("/staff/sign-in", {**form, "csrf_token": "x" * 43})
    for answer in (missing, forged):
        assert answer.status_code == 403
        assert "Форму відхилено" in answer.text
    assert await sessions(site) == 0
    # the token in a header (HTMX) counts like the field
    via_header = await site.client.post(
        "/staff/sign-in", data=form, headers={"X-CSRF-Token": site.csrf}
    )
    assert via_header.status_code == 303


async def test_the_csrf_cookie_is_set_once_and_locked_down(site: Site) -> None:
    first = await site.get("/staff/sign-in")
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("komunalka_csrf=")
    for flag in ("HttpOnly", "Secure", "SameSite=Lax"):
        assert flag in cookie
    second = await site.get("/staff/sign-in")
    assert "set-cookie" not in second.headers
    assert (await site.get("/health")).headers.get("set-cookie") is None


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
async def test_next_never_leads_off_the_site(site: Site, target: str) -> None:
    form = {"login": OPERATOR, "password": PASSWORD, "next": target}
    answer = await site.post("/staff/sign-in", form)
    assert answer.headers["location"] == "/operator"


async def test_signing_out_ends_the_session(site: Site) -> None:
    await site.sign_in_staff(OPERATOR)
    token = site.client.cookies.get(SESSION_COOKIE)
    assert await site.use_cases.resolve_session(token) is not None
    answer = await site.post("/sign-out")
    assert answer.headers["location"] == "/staff/sign-in"
    assert await site.use_cases.resolve_session(token) is None
    assert site.client.cookies.get(SESSION_COOKIE) is None


async def test_wrong_staff_passwords_are_limited(site: Site) -> None:
    for _ in range(5):
        await site.post("/staff/sign-in", {"login": OPERATOR, "password": "nope-nope"})
    locked = await site.post("/staff/sign-in", {"login": OPERATOR, "password": PASSWORD})
    assert locked.status_code == 400
    assert "Забагато невдалих спроб" in locked.text


async def test_a_csrf_token_from_before_sign_in_no_longer_works_after(site: Site) -> None:
    for sign_in, login in ((site.sign_in_staff, OPERATOR), (site.sign_in, RESIDENT)):
        await site.get("/staff/sign-in")
        before = site.csrf
        await sign_in(login)
        assert site.csrf and site.csrf != before
        stale = await site.post("/language", {"language": "en", "csrf_token": before})
        assert stale.status_code == 403
        signed_in = site.csrf
        await site.sign_out()
        assert site.csrf and site.csrf != signed_in
        assert (await site.post("/language", {"csrf_token": signed_in})).status_code == 403
        assert (await site.post("/language", {"language": "uk"})).status_code == 303


async def test_someone_elsewhere_cannot_lock_staff_out(site: Site) -> None:
    # the test client's address is 127.0.0.1; another's arrives through a trusted proxy
    app = site.client._transport.app  # type: ignore[attr-defined]
    app.state.trust_forwarded_for = True
    elsewhere = {"X-Forwarded-For": "203.0.113.7, 198.51.100.9"}
    for _ in range(5):
        answer = await site.post(
            "/staff/sign-in", {"login": OPERATOR, "password": "nope-nope"}, headers=elsewhere
        )
        assert answer.status_code == 400
    form = {"login": OPERATOR, "password": PASSWORD}
    locked = await site.post("/staff/sign-in", form, headers=elsewhere)
    assert "Забагато невдалих спроб" in locked.text
    # the forged first entry is not the address: the proxy's last one is
    forged = {"X-Forwarded-For": "192.0.2.1, 198.51.100.9"}
    assert (await site.post("/staff/sign-in", form, headers=forged)).status_code == 400
    assert (await site.post("/staff/sign-in", form)).status_code == 303


async def test_someone_elsewhere_cannot_lock_a_resident_out(site: Site) -> None:
    for _ in range(5):
        answer = await site.post("/sign-in", {"login": RESIDENT, "password": "nope-nope"})
        assert answer.status_code == 400
    form = {"login": RESIDENT, "password": PASSWORD}
    assert "Забагато невдалих спроб" in (await site.post("/sign-in", form)).text
    app = site.client._transport.app  # type: ignore[attr-defined]
    app.state.trust_forwarded_for = True
    moved = {"X-Forwarded-For": "198.51.100.20"}
    assert (await site.post("/sign-in", form, headers=moved)).status_code == 303


async def test_a_missing_page_is_a_page_for_browsers_and_json_for_the_api(site: Site) -> None:
    html = {"Accept": "text/html,application/xhtml+xml"}
    page = await site.get("/no/such/page", headers=html)
    assert page.status_code == 404
    assert "Сторінку не знайдено" in page.text
    english = await site.get("/no/such/page", headers={**html, "Accept-Language": "en"})
    assert "Page not found" in english.text
    wrong_method = await site.get("/sign-out", headers=html)
    assert wrong_method.status_code == 405
    assert "Так не вийде" in wrong_method.text
    api = await site.get("/api/v1/no-such-thing", headers=html)
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "request.not_found"
    script = await site.get("/no/such/page")
    assert script.json()["error"]["code"] == "request.not_found"
