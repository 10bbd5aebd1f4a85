"""The suppliers' changes feed over HTTP (ADR 0017), on SQLite and PostgreSQL: every accepted
reading and correction is an item, in a stable order; pages read while readings arrive see each
item exactly once, across a restart of the app; garbage is refused and changes nothing."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from komunalka.adapters.db import migrate
from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import feed_heads, feed_items, readings
from komunalka.application.readings.correct_reading import CorrectReadingRequest
from komunalka.application.readings.submit_readings import ReadingItem, SubmitReadingsRequest
from komunalka.application.shared.actors import Actor
from komunalka.application.suppliers.read_changes import write_items
from komunalka.application.suppliers.supplier_access import ServiceCaller
from komunalka.bootstrap.app import create_app
from komunalka.bootstrap.container import Container
from komunalka.bootstrap.settings import Settings
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, kyiv
from tests.world import World, build_world

NOW = kyiv(2026, 11, 20)
SYSTEM = Actor.system(Channel.CLI)
DAY_NIGHT_TOTAL = (("day", "1100"), ("night", "600"), ("total", "1700"))


@dataclass
class Feed:
    client: httpx.AsyncClient
    wiring: Wiring
    world: World
    engine: Any
    database_url: str
    token: str


def client_for(engine: Any, database_url: str, token: str) -> tuple[httpx.AsyncClient, Wiring]:
    """A new app instance on the database: its own storage, wiring and HTTP client."""
    wiring = Wiring.wire(SqlStorage(engine), FakeClock(NOW))
    app = create_app(container=Container(Settings(database_url=database_url), engine, wiring))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    client.headers["Authorization"] = f"Bearer {token}"
    return client, wiring


@pytest.fixture
async def feed(uow, engine, database_url) -> AsyncIterator[Feed]:
    world = await build_world(uow)
    wiring = Wiring.wire(uow, FakeClock(NOW))
    issued = await wiring.issue_supplier_token(ServiceCaller(SYSTEM), "kte", "billing")
    client, wiring = client_for(engine, database_url, issued.token)
    async with client:
        yield Feed(client, wiring, world, engine, database_url, issued.token)


async def submit(wiring: Wiring, meter_id: int, value: str) -> str:
    request = SubmitReadingsRequest(SYSTEM, [ReadingItem(meter_id, value)])
    result = await wiring.submit_readings(request)
    return str(result.readings[0].receipt)


async def page(client: httpx.AsyncClient, after: str | None, limit: int) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if after is not None:
        params["after"] = after
    answer = await client.get("/api/v1/supplier/readings/changes", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = answer.json()
    return body


async def drain(client: httpx.AsyncClient, after: str | None, limit: int) -> tuple[list[Any], str]:
    items: list[Any] = []
    while True:
        got = await page(client, after, limit)
        items += got["items"]
        assert got["count"] == len(got["items"])
        after = got["cursor"]
        if not got["more"]:
            return items, got["cursor"]


async def head(engine: Any, supplier_id: int) -> Any:
    async with engine.connect() as conn:
        query = select(feed_heads).where(feed_heads.c.supplier_id == supplier_id)
        return (await conn.execute(query)).first()


async def test_readings_and_corrections_come_in_order_each_correction_naming_its_receipt(
    feed: Feed,
) -> None:
    history, cursor = await drain(feed.client, None, 4)
    assert [i["seq"] for i in history] == [1, 2, 3, 4, 5, 6]  # the world's history, kte only
    assert {i["kind"] for i in history} == {"reading"}
    first = await submit(feed.wiring, feed.world.hot_water, "117,5")
    fixed = await feed.wiring.correct_reading(CorrectReadingRequest(SYSTEM, first, "118"))
    again = await submit(feed.wiring, feed.world.hot_water, "118,25")
    december = Wiring.wire(SqlStorage(feed.engine), FakeClock(kyiv(2026, 12, 1)))
    zones = [ReadingItem(feed.world.electricity, v, z) for z, v in DAY_NIGHT_TOTAL]
    await december.submit_readings(SubmitReadingsRequest(SYSTEM, zones))  # not kte's
    new, end = await drain(feed.client, cursor, 2)
    assert [i["seq"] for i in new] == [7, 8, 9]
    assert [(i["kind"], i["receipt"], i["replaces"]) for i in new] == [
        ("reading", first, None),
        ("correction", fixed.readings[0].receipt, first),
        ("correction", again, fixed.readings[0].receipt),
    ]
    assert Decimal(str(new[0]["value"])) == Decimal("117.5")
    assert new[0]["serial"] == feed.world.serial and new[0]["period"] == "2026-11"
    assert new[0]["account"] == feed.world.account_number
    # the end's cursor gives nothing new, and says so
    empty = {"cursor": end, "more": False, "count": 0, "items": []}
    assert await page(feed.client, end, 10) == empty


async def test_an_ack_moves_forward_only_within_the_feed(feed: Feed) -> None:
    items, end = await drain(feed.client, None, 3)
    first = await page(feed.client, None, 3)
    url = "/api/v1/supplier/readings/ack"
    acked = await feed.client.post(url, json={"cursor": first["cursor"]})
    assert acked.status_code == 200 and acked.json() == {"cursor": first["cursor"], "waiting": 3}
    same = await feed.client.post(url, json={"cursor": first["cursor"]})
    assert same.status_code == 200
    whole = await feed.client.post(url, json={"cursor": end})
    assert whole.json() == {"cursor": end, "waiting": 0}
    before = await head(feed.engine, feed.world.kte.id)
    assert before.acked == len(items) == 6
    back = await feed.client.post(url, json={"cursor": first["cursor"]})
    assert back.status_code == 409 and back.json()["error"]["code"] == "feed.ack_backwards"
    beyond = encode(feed.world.kte.id, 7)
    past = await feed.client.post(url, json={"cursor": beyond}, headers={"Accept-Language": "en"})
    assert past.status_code == 409 and past.json()["error"]["code"] == "feed.ack_beyond_end"
    assert "past the end" in past.json()["error"]["message"]
    assert await head(feed.engine, feed.world.kte.id) == before


def encode(supplier_id: int, position: int) -> str:
    return base64.urlsafe_b64encode(f"{supplier_id}.{position}".encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "bm90IGEgY3Vyc29y",  # "not a cursor"
        "MS4tMQ",  # "1.-1"
        "OTk5LjE",  # another supplier's: "999.1"
        "MS4x" + "A" * 100,
        "%00",
        "MS4xMjM0NTY3ODkwMTIzNDU2Nzg5MA",  # a position past bigint
    ],
)
async def test_a_bad_cursor_is_a_clear_400_and_changes_nothing(feed: Feed, cursor: str) -> None:
    before = await head(feed.engine, feed.world.kte.id)
    answer = await feed.client.get(
        "/api/v1/supplier/readings/changes", params={"after": cursor, "limit": 5}
    )
    assert answer.status_code in (400, 422), answer.text
    code = answer.json()["error"]["code"]
    assert code in ("feed.bad_cursor", "request.invalid"), code
    acked = await feed.client.post("/api/v1/supplier/readings/ack", json={"cursor": cursor})
    assert acked.status_code in (400, 422) and acked.json()["error"]["code"] == code
    assert await head(feed.engine, feed.world.kte.id) == before


async def test_a_cursor_past_the_end_or_a_limit_out_of_range_is_refused(feed: Feed) -> None:
    url = "/api/v1/supplier/readings/changes"
    ahead = await feed.client.get(url, params={"after": encode(feed.world.kte.id, 99)})
    assert ahead.status_code == 400
    assert ahead.json()["error"]["code"] == "feed.cursor_beyond_end"
    for limit in ("0", "-1", "10001", "99999999999999999999", "ten", ""):
        answer = await feed.client.get(url, params={"limit": limit})
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "request.invalid"
    assert (await page(feed.client, None, 10_000))["count"] == 6
    assert (await feed.client.get(url, headers={"Authorization": "Bearer nope"})).status_code == 401
    # a resident's token does not open the feed
    assert await head(feed.engine, feed.world.kte.id) is not None


async def test_pages_read_while_readings_arrive_see_each_item_once_across_a_restart(
    feed: Feed,
) -> None:
    meters = [feed.world.hot_water, feed.world.stranger_meter]
    receipts: list[str] = []
    done = asyncio.Event()

    async def writer(meter_id: int, base: int) -> None:
        for step in range(12):
            receipts.append(await submit(feed.wiring, meter_id, f"{base}.{step:02d}"))
            await asyncio.sleep(0)

    async def reader(
        client: httpx.AsyncClient, after: str | None, pages: int
    ) -> tuple[list[Any], str | None]:
        seen: list[Any] = []
        for _ in range(pages):
            got = await page(client, after, 3)
            seen += got["items"]
            after = got["cursor"]
            await asyncio.sleep(0)
        return seen, after

    async def writers() -> None:
        await asyncio.gather(writer(meters[0], 116), writer(meters[1], 11))
        done.set()

    writing = asyncio.create_task(writers())
    seen, cursor = await reader(feed.client, None, 6)
    # a restart: a new engine, a new app, the same database; the cursor goes on
    engine = create_engine(feed.database_url)
    client, _ = client_for(engine, feed.database_url, feed.token)
    async with client:
        more, cursor = await reader(client, cursor, 4)
        seen += more
        await writing
        rest, _ = await drain(client, cursor, 3)
        seen += rest
    await engine.dispose()
    assert done.is_set()
    assert [i["seq"] for i in seen] == list(range(1, len(seen) + 1))
    assert len({i["receipt"] for i in seen}) == len(seen) == 6 + len(receipts)
    assert set(receipts) <= {i["receipt"] for i in seen}
    async with feed.engine.connect() as conn:
        query = (
            select(readings.c.receipt)
            .join(feed_items, feed_items.c.reading_id == readings.c.id)
            .where(feed_items.c.supplier_id == feed.world.kte.id)
        )
        stored = {r[0] for r in await conn.execute(query)}
    assert stored == {i["receipt"] for i in seen}


@pytest.fixture
async def pg_feed(empty_database) -> AsyncIterator[Feed]:
    url = await empty_database("postgresql")
    engine = create_engine(url)
    await migrate.upgrade(engine)
    uow = SqlStorage(engine)
    world = await build_world(uow)
    wiring = Wiring.wire(uow, FakeClock(NOW))
    issued = await wiring.issue_supplier_token(ServiceCaller(SYSTEM), "kte", "billing")
    client, wiring = client_for(engine, url, issued.token)
    async with client:
        yield Feed(client, wiring, world, engine, url, issued.token)
    from tests.conftest import empty_tables

    await empty_tables(engine)
    await engine.dispose()


async def test_a_reading_committed_after_a_later_one_is_not_skipped_on_postgresql(
    pg_feed: Feed,
) -> None:
    """Two submissions: the first written (lower id) commits after the second. A reader at the
    second's position must still get the first: positions follow visibility, not ids."""
    feed = pg_feed
    _, cursor = await drain(feed.client, None, 100)
    storage = SqlStorage(feed.engine)
    slow = Wiring.wire(storage, FakeClock(NOW))
    request = SubmitReadingsRequest(SYSTEM, [ReadingItem(feed.world.hot_water, "119")])
    async with storage(write=True) as tx:
        held = await slow.submit_readings.within(request)  # written, not committed
        later = await submit(feed.wiring, feed.world.stranger_meter, "12")  # commits first
        got = await page(feed.client, cursor, 100)
        assert [i["receipt"] for i in got["items"]] == [later]
        cursor = got["cursor"]
        await tx.commit()
    got = await page(feed.client, cursor, 100)
    assert [(i["seq"], i["receipt"]) for i in got["items"]] == [(8, held.readings[0].receipt)]


async def test_postgresqls_json_of_the_items_is_the_text_python_writes(pg_feed: Feed) -> None:
    feed = pg_feed
    first = await submit(feed.wiring, feed.world.hot_water, "117,5")
    await feed.wiring.correct_reading(CorrectReadingRequest(SYSTEM, first, "118"))
    await submit(feed.wiring, feed.world.stranger_meter, "12,25")
    await page(feed.client, None, 1)  # numbers them
    storage = SqlStorage(feed.engine)
    written: list[bytes] = []
    by_python: list[bytes] = []

    async def into(where: list[bytes]) -> Any:
        async def sink(data: bytes) -> None:
            where.append(data)

        return sink

    async with storage() as _:
        await storage.feed.write_json(feed.world.kte.id, 0, 9, await into(written))
        items = storage.feed.items(feed.world.kte.id, 0, 9)
        await write_items(items, await into(by_python))
    assert b"".join(written) == b"".join(by_python)
    assert b"".join(written).count(b'"seq": ') == 9
