"""The REST API over HTTP (ASGI), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select

from komunalka.adapters.db.tables import readings
from komunalka.application.shared.actors import Actor
from komunalka.bootstrap.app import create_app
from komunalka.bootstrap.container import Container
from komunalka.bootstrap.settings import Settings
from komunalka.bootstrap.wiring import Wiring
from tests.fakes import FakeClock, kyiv
from tests.world import World, _row, build_world


@pytest.fixture
async def api(uow, engine, database_url) -> AsyncIterator[tuple[httpx.AsyncClient, World, str]]:
    world = await build_world(uow)
    use_cases = Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20)))
    issued = await use_cases.issue_token(Actor.system(), resident_id=world.resident)
    container = Container(Settings(database_url=database_url), engine, use_cases)
    app = create_app(container=container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        client.headers["Authorization"] = f"Bearer {issued.token}"
        yield client, world, issued.token


async def stored(engine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(readings))).scalar_one())


async def test_health_and_openapi_are_served(api) -> None:
    client, _, _ = api
    assert (await client.get("/health")).json() == {"status": "ok", "database": "ok"}
    spec = (await client.get("/openapi.json")).json()
    assert {"/api/v1/readings", "/api/v1/meters", "/api/v1/meters/{meter_id}/history"} <= set(
        spec["paths"]
    )


async def test_a_reading_is_accepted_and_a_repeat_under_the_same_key_is_replayed(
    api, engine
) -> None:
    client, world, _ = api
    before = await stored(engine)
    body = {"readings": [{"meter_id": world.hot_water, "value": "117,5"}]}
    first = await client.post("/api/v1/readings", json=body, headers={"Idempotency-Key": "r-1"})
    assert first.status_code == 201
    reading = first.json()["readings"][0]
    assert (reading["value"], reading["previous"], reading["consumption"]) == (
        "117.500",
        "115.000",
        "2.500",
    )
    assert reading["register"] == "T1" and reading["period"] == "2026-11"
    again = await client.post("/api/v1/readings", json=body, headers={"Idempotency-Key": "r-1"})
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["readings"] == first.json()["readings"]
    assert await stored(engine) == before + 1


async def test_errors_are_json_with_a_code_and_ukrainian_words_by_default(api, engine) -> None:
    client, world, _ = api
    before = await stored(engine)
    body = {"readings": [{"meter_id": world.hot_water, "value": "12"}]}
    answer = await client.post("/api/v1/readings", json=body)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "reading.below_previous"
    # words for people, parameters for programs
    assert error["message"].startswith("Показник менший за попередній (115 за жовтень 2026)")
    assert error["violations"][0]["meter_id"] == world.hot_water
    params = error["violations"][0]["params"]
    assert params == {"previous": "115.000", "previous_period": "2026-10"}
    assert await stored(engine) == before


async def test_errors_speak_english_when_asked(api) -> None:
    client, world, _ = api
    body = {"readings": [{"meter_id": world.hot_water, "value": "abc"}]}
    answer = await client.post(
        "/api/v1/readings", json=body, headers={"Accept-Language": "en-GB,en;q=0.9"}
    )
    assert (
        answer.json()["error"]["message"]
        == '"abc" is not a number. Type the reading in digits, for example 1234.5.'
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"readings": []},
        {"readings": [{"meter_id": "x", "value": "1"}]},
        {"readings": [{"meter_id": 1, "value": "1", "surprise": True}]},
        {"readings": [{"meter_id": 1, "value": 1.5}]},
        {"readings": [{"meter_id": 1, "value": ["1"]}]},
    ],
)
async def test_malformed_bodies_get_a_clear_error_and_change_nothing(api, engine, body) -> None:
    client, _, _ = api
    before = await stored(engine)
    answer = await client.post("/api/v1/readings", json=body)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "request.invalid"
    assert answer.json()["error"]["message"] == "Запит має неправильний формат."
    assert await stored(engine) == before


async def test_the_hand_read_submission_is_documented_like_any_route(api) -> None:
    client, _, _ = api
    spec = (await client.get("/openapi.json")).json()
    post = spec["paths"]["/api/v1/readings"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body == "#/components/schemas/SubmitIn"
    submit_in = spec["components"]["schemas"]["SubmitIn"]
    assert submit_in["properties"]["readings"]["items"]["$ref"] == "#/components/schemas/ReadingIn"
    assert {"meter_id", "value", "register", "confirm"} <= set(
        spec["components"]["schemas"]["ReadingIn"]["properties"]
    )
    headers = {p["name"]: p for p in post["parameters"] if p["in"] == "header"}
    assert headers["idempotency-key"]["schema"]["maxLength"] == 100
    assert "authorization" in headers
    assert post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "SubmitOut"
    )


async def test_a_body_that_is_not_json_or_a_key_too_long_changes_nothing(api, engine) -> None:
    client, world, _ = api
    before = await stored(engine)
    body = {"readings": [{"meter_id": world.hot_water, "value": "117"}]}
    as_text = await client.post(
        "/api/v1/readings",
        content=json.dumps(body).encode(),
        headers={"content-type": "text/plain"},
    )
    long_key = await client.post(
        "/api/v1/readings", json=body, headers={"Idempotency-Key": "k" * 101}
    )
    for answer in (as_text, long_key):
        assert answer.status_code == 422
        assert answer.json()["error"]["code"] == "request.invalid"
    assert await stored(engine) == before


async def test_broken_json_gets_a_clear_error(api) -> None:
    client, _, _ = api
    answer = await client.post(
        "/api/v1/readings", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "request.invalid"


async def test_missing_or_wrong_tokens_are_refused(api) -> None:
    client, world, _ = api
    body = {"readings": [{"meter_id": world.hot_water, "value": "117"}]}
    for headers, code in (
        ({"Authorization": ""}, "auth.required"),
        ({"Authorization": "Bearer nope"}, "auth.invalid"),
    ):
        answer = await client.post("/api/v1/readings", json=body, headers=headers)
        assert answer.status_code == 401 and answer.json()["error"]["code"] == code
        assert answer.headers["www-authenticate"] == "Bearer"


async def test_my_meters_list_their_status_and_window(api) -> None:
    client, world, _ = api
    meters = {m["id"]: m for m in (await client.get("/api/v1/meters")).json()}
    assert meters[world.hot_water]["status"] == "due"
    assert meters[world.overdue]["status"] == "blocked"
    assert meters[world.overdue]["blocked"] == "meter.verification_overdue"
    electricity = meters[world.electricity]
    assert (electricity["status"], electricity["window_opens"]) == ("window_closed", "2026-11-29")
    assert electricity["registers"] == ["day", "night", "total"]
    assert world.stranger_meter not in meters


async def test_history_lists_readings_with_consumption(api) -> None:
    client, world, _ = api
    answer = await client.get(f"/api/v1/meters/{world.hot_water}/history", params={"months": 3})
    assert (answer.json()["currency"], answer.json()["demo_prices"]) == ("UAH", False)
    entries = answer.json()["entries"]
    assert all(e["cost"] is None for e in entries)  # the world's heat supplier has no tariff
    assert [(e["period"], e["value"], e["consumption"]) for e in entries] == [
        ("2026-10", "115.000", "2.500"),
        ("2026-09", "112.500", "2.500"),
    ]
    assert (await client.get(f"/api/v1/meters/{world.stranger_meter}/history")).status_code == 404
    assert (
        await client.get(f"/api/v1/meters/{world.hot_water}/history?months=0")
    ).status_code == 422


async def test_an_account_is_linked_over_the_api(api) -> None:
    client, _, _ = api
    answer = await client.post(
        "/api/v1/links", json={"account_number": "1000002714", "surname_prefix": "Ков"}
    )
    assert answer.status_code == 201
    assert answer.json()["holder"] == "Ков****** О."
    wrong = await client.post(
        "/api/v1/links", json={"account_number": "1000001111", "meter_serial": "XX1"}
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["message"] == (
        "Рахунок не знайдено або підтвердження не збігається. Залишилося спроб: 4."
    )


async def test_a_meter_serial_of_letters_only_is_a_serial_not_a_surname(api, uow) -> None:
    client, _, _ = api

    async def link(**proof: str) -> httpx.Response:
        return await client.post("/api/v1/links", json=proof)

    # 1000002714 is Коваленко's: read as a surname, "Ков" would prove it
    wrong = await link(account_number="1000002714", meter_serial="Ков")
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] == "link.not_matched"
    short = await link(account_number="1000002714", meter_serial="Ко")
    assert short.json()["error"]["code"] == "link.not_matched"  # no surname's three letters
    # and the other way: digits in the surname field are no meter's serial
    digits = await link(account_number="1000002714", surname_prefix="HW0022222")
    assert digits.json()["error"]["code"] == "link.not_matched"
    row = _row(
        "kte", "1000004242", "Мельник Іван", "ABCDEF", "hot_water", "T1", 5, 3, "", date(2029, 1, 1)
    )
    use_cases = Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20)))
    rejected: list[object] = []
    await use_cases.import_registry(Actor.system(), list(row), [(2, row)], rejected.append)
    assert rejected == []
    linked = await link(account_number="1000004242", meter_serial="abc-def")
    assert linked.status_code == 201, linked.json()
    assert linked.json()["holder"].startswith("Мел")


async def test_unknown_routes_answer_in_json(api) -> None:
    client, _, _ = api
    answer = await client.get("/api/v1/nothing-here")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "request.not_found"


async def test_a_reading_is_corrected_by_its_receipt(api, engine) -> None:
    client, world, _ = api
    sent = await client.post(
        "/api/v1/readings", json={"readings": [{"meter_id": world.hot_water, "value": "118"}]}
    )
    receipt = sent.json()["readings"][0]["receipt"]
    fixed = await client.put(f"/api/v1/readings/{receipt}", json={"value": "117,5"})
    assert fixed.status_code == 200
    assert fixed.json()["readings"][0]["corrected"] is True
    again = await client.put(f"/api/v1/readings/{receipt}", json={"value": "117"})
    assert again.status_code == 422 and again.json()["error"]["code"] == "reading.already_corrected"
    missing = await client.put("/api/v1/readings/2611-XXXX-XXXX", json={"value": "1"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "reading.not_found"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/readings", {"readings": [{"meter_id": 1, "value": "1"}]}),
        ("PUT", "/api/v1/readings/2611-AAAA-BBBB", {"value": "1"}),
        ("GET", "/api/v1/meters", None),
        ("GET", "/api/v1/meters/1/history", None),
        ("POST", "/api/v1/links", {"account_number": "1000001357", "surname_prefix": "Шев"}),
    ],
)
async def test_every_api_route_needs_a_valid_token(api, engine, method, path, body) -> None:
    client, _, _ = api
    before = await stored(engine)
    for header in ("", "Bearer", "Basic abc", "Bearer kmn_not-a-token"):
        answer = await client.request(method, path, json=body, headers={"Authorization": header})
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] in {"auth.required", "auth.invalid"}
    assert await stored(engine) == before


async def test_a_meter_sendable_early_says_until_when_and_its_reading_is_held(
    uow, engine, database_url
) -> None:
    world = await build_world(uow)
    async with uow(write=True) as tx:
        await uow.supplier_portal.set_window_rule(world.kte.id, "5..-1 early 3", "Europe/Kyiv")
        await tx.commit()
    use_cases = Wiring.wire(uow, FakeClock(kyiv(2026, 12, 2)))  # December opens on the 5th
    issued = await use_cases.issue_token(Actor.system(), resident_id=world.resident)
    app = create_app(container=Container(Settings(database_url=database_url), engine, use_cases))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        client.headers["Authorization"] = f"Bearer {issued.token}"
        meters = (await client.get("/api/v1/meters")).json()
        (mine,) = [m for m in meters if m["id"] == world.hot_water]
        assert (mine["status"], mine["period"]) == ("due", "2026-12")
        assert mine["sendable_early_until"] == "2026-12-04T22:00:00Z"  # 5 December, Kyiv
        (electricity,) = [m for m in meters if m["id"] == world.electricity]
        assert electricity["sendable_early_until"] is None  # open now: nothing to hold
        body = {"readings": [{"meter_id": world.hot_water, "value": "117"}]}
        sent = await client.post("/api/v1/readings", json=body, headers={"Idempotency-Key": "e"})
        assert sent.status_code == 201
        (reading,) = sent.json()["readings"]
        assert reading["period"] == "2026-12" and reading["receipt"].startswith("2612-")
        assert reading["held_until"] == "2026-12-04T22:00:00Z"
        again = await client.post("/api/v1/readings", json=body, headers={"Idempotency-Key": "e"})
        assert again.json()["readings"] == sent.json()["readings"]
        spec = (await client.get("/openapi.json")).json()["components"]["schemas"]
        assert "sendable_early_until" in spec["MeterOut"]["properties"]
        assert "held_until" in spec["ReadingOut"]["properties"]
