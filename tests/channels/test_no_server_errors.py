"""No route, form or webhook answers garbage with a server error: every route of the app gets
generated path parameters, query strings, form and JSON bodies, as an outsider, a resident and
an administrator, on SQLite and PostgreSQL; and each input an audit found answered 500 is now a
clear 4xx with no change."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from komunalka.adapters.db.tables import readings, residents, sign_in_attempts
from komunalka.channels.pages.security import SESSION_COOKIE
from tests.channels.garbage import FORM, JSON, NASTY, TEXT, app_routes, deep, filled
from tests.channels.pages import ADMIN, RESIDENT, Site

BOUNDED = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TELEGRAM = {"X-Telegram-Bot-Api-Secret-Token": "s"}


def app_of(site: Site) -> Any:
    return site.client._transport.app  # type: ignore[attr-defined]


async def count(site: Site, table: Any) -> int:
    async with app_of(site).state.container.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def send(
    site: Site, method: str, url: str, query: dict[str, str], form: dict[str, str], body: Any
) -> httpx.Response:
    if url.startswith("/api/"):
        headers = {"Authorization": f"Bearer {site.demo.token}"}
        return await site.client.request(method, url, params=query, json=body, headers=headers)
    if url.startswith("/webhooks/"):
        content = json.dumps(body).encode()
        return await site.client.request(method, url, content=content, headers=TELEGRAM)
    if method == "GET":
        return await site.get(url, params=query)
    return await site.post(url, form, params=query)


async def signed_in(site: Site, role: str) -> None:
    if role == "anonymous" or site.client.cookies.get(SESSION_COOKIE):
        return
    if role == "resident":
        await site.sign_in(RESIDENT)
    else:
        await site.sign_in_staff(ADMIN)


@pytest.mark.parametrize("role", ["anonymous", "resident", "admin"])
@BOUNDED
@given(data=st.data())
async def test_no_route_answers_garbage_with_a_server_error(
    site: Site, role: str, data: st.DataObject
) -> None:
    await signed_in(site, role)
    method, path = data.draw(st.sampled_from(app_routes(app_of(site))), label="route")
    url = filled(path, data.draw(st.lists(TEXT, max_size=3), label="path parameters"))
    query = data.draw(FORM, label="query")
    form = data.draw(FORM, label="form")
    body = data.draw(JSON, label="json")
    answer = await send(site, method, url, query, form, body)
    assert answer.status_code < 500, (method, url, answer.text[:300])


async def test_telegram_updates_of_garbage_change_nothing(site: Site) -> None:
    before = await count(site, residents)
    for body in (
        deep(100_000),
        deep(50, {"update_id": 1}),
        b'{"update_id": 1, "message": "text"}',
        b'{"update_id": 99999999999999999999999, "message": {"text": "\\u0000"}}',
        b"[]",
        b"\x00",
    ):
        answer = await site.client.post("/webhooks/telegram", content=body, headers=TELEGRAM)
        assert answer.status_code in (200, 400), body[:40]
    assert await count(site, residents) == before


@pytest.mark.parametrize(
    "path",
    [
        "/operator/accounts/99999999999999999999",
        "/operator/accounts/9223372036854775808/readings",
        "/operator/staff/99999999999999999999",
        "/operator/suppliers/2147483648",
        "/operator/accounts/0",
        "/operator/accounts/-1",
    ],
)
async def test_a_staff_path_id_past_the_database_range_is_a_clear_refusal(
    site: Site, path: str
) -> None:
    await site.sign_in_staff(ADMIN)
    for answer in (await site.get(path), await site.post(path, {"supplier_id": "9" * 30})):
        assert 400 <= answer.status_code < 500, (path, answer.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "/meters/99999999999999999999",
        "/meters/99999999999999999999/chart.png",
        "/meters/99999999999999999999/history.csv",
        "/accounts/99999999999999999999/unlink",
        "/meters/99999999999999999999/water-heater",
        "/meters/99999999999999999999/correct",
    ],
)
async def test_a_resident_path_id_past_the_database_range_is_a_clear_refusal(
    site: Site, path: str
) -> None:
    await site.sign_in(RESIDENT)
    answer = await (site.post(path, {"receipt": "x"}) if "/" in path[8:] else site.get(path))
    assert 400 <= answer.status_code < 500, (path, answer.status_code)


@pytest.mark.parametrize("garbage", ["\x00", "a\x00b@x.ua", "+380\x00501234567"])
async def test_a_nul_byte_in_a_sign_in_or_sign_up_is_refused_with_no_change(
    site: Site, garbage: str
) -> None:
    people, attempts = await count(site, residents), await count(site, sign_in_attempts)
    for path, form in (
        ("/sign-in", {"login": garbage, "password": "x\x00y"}),
        ("/staff/sign-in", {"login": garbage, "password": "x\x00y"}),
        ("/sign-up", {"login": garbage, "name": "a\x00", "password": "long enough 1"}),
        ("/sign-up", {"login": "+380501112233", "name": "a\x00b", "password": "a\x00" * 8}),
        ("/password/forgot", {"login": garbage}),
    ):
        answer = await site.post(path, {**form, "password_confirm": form.get("password", "")})
        assert answer.status_code == 400, (path, form, answer.status_code)
    assert await count(site, residents) == people
    assert await count(site, sign_in_attempts) <= attempts + 3


@pytest.mark.parametrize("receipt", ["\x00", "A\x00B", "²"])
async def test_a_nul_byte_in_a_receipt_is_refused_with_no_change(site: Site, receipt: str) -> None:
    before = await count(site, readings)
    token = {"Authorization": f"Bearer {site.demo.token}"}
    url = "/api/v1/readings/" + quote(receipt, safe="")
    answer = await site.client.put(url, json={"value": "1"}, headers=token)
    assert 400 <= answer.status_code < 500
    assert await count(site, readings) == before


@pytest.mark.parametrize("garbage", [g for g in NASTY if g not in ("kte", "water")])
async def test_garbage_periods_and_ids_in_query_strings_are_clear_refusals(
    site: Site, garbage: str
) -> None:
    await site.sign_in_staff(ADMIN)
    for path in ("/supplier/readings", "/supplier/windows", "/operator/reminders/kte"):
        answer = await site.get(path, params={"period": garbage, "supplier": garbage})
        assert answer.status_code < 500, (path, garbage)
