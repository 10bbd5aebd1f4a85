"""The SMS door end to end (ADR 0026): the fake gateway posts signed callbacks into the app and
receives the answers the outbox sends through it; the cabinet links the number with the code the
gateway carried. Both databases."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.db.dialogs import SqlDialogStateStore
from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import accounts, readings, sms_inbound, web_logins
from komunalka.adapters.sms import HttpSmsGateway, SmsMessageSender
from komunalka.adapters.spreadsheets import OpenpyxlSpreadsheets
from komunalka.application.notifications.deliver_outbox import RetryPolicy
from komunalka.bootstrap.app import create_app
from komunalka.bootstrap.container import Container
from komunalka.bootstrap.wiring import Wiring
from tests.channels.pages import NOW, PASSWORDS, RESIDENT, Site, settings_for
from tests.fakes import FakeClock
from tests.servers.fake_sms import FakeSms

HOOK = "/webhooks/sms"
PHONE = "+380501112233"
STRANGER = "+380679998877"


@pytest.fixture
async def gateway() -> AsyncIterator[FakeSms]:
    server = FakeSms()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def sms_site(
    uow: SqlStorage, engine: AsyncEngine, database_url: str, gateway: FakeSms
) -> AsyncIterator[Site]:
    settings = settings_for(database_url, sms_secret=gateway.secret)
    clock = FakeClock(NOW)
    async with httpx.AsyncClient(timeout=0.5) as outbound:
        sms = SmsMessageSender(HttpSmsGateway(outbound, f"{gateway.url}/send", gateway.token))
        wiring = Wiring.wire(
            uow,
            clock,
            passwords=PASSWORDS,
            spreadsheets=OpenpyxlSpreadsheets(),
            dialogs=SqlDialogStateStore(uow.engine),
            senders={"sms": sms},
            web_url="https://k.test",
            policy=RetryPolicy(first_delay=timedelta(seconds=10)),
        )
        demo = await wiring.load_demo()
        app = create_app(container=Container(settings, engine, wiring))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
            yield Site(client, wiring, clock, demo)


async def _count(engine: AsyncEngine, table) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def _deliver(site: Site) -> None:
    await site.use_cases.deliver_outbox()


async def _link(site: Site, gateway: FakeSms, typed: str = "050 111 22 33") -> None:
    """The demo resident links PHONE in the cabinet with the code the gateway carried."""
    await site.sign_in()
    asked = await site.post("/profile/phone", {"phone": typed}, follow_redirects=False)
    assert asked.status_code == 303, asked.text
    await _deliver(site)
    (text,) = gateway.texts_to(PHONE)
    code = re.search(r"\b(\d{6})\b", text)
    assert code is not None and "Код" in text
    done = await site.post("/profile/phone/confirm", {"code": code[1]}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/profile?done=phone_linked"
    assert PHONE in (await site.get("/profile")).text
    gateway.messages.clear()


async def _resident(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        query = select(web_logins.c.resident_id).where(web_logins.c.login == RESIDENT)
        return int((await conn.execute(query)).scalar_one())


async def _a_meter(site: Site, engine: AsyncEngine) -> tuple[str, Decimal]:
    """An account of the resident with one open one-zone meter, and a fitting next value."""
    mine = await site.use_cases.list_my_meters(await _resident(engine))
    by_account: dict[str, list] = {}
    for m in mine:
        by_account.setdefault(m.account.number, []).append(m)
    for number, found in sorted(by_account.items()):
        single = [m for m in found if len(m.meter.zones) == 1]
        open_ = [m for m in single if m.blocked_code is None]
        if len(open_) == 1 and open_[0].previous:
            last = max(r.value for r in open_[0].previous.values())
            return number, last + 1
    raise AssertionError("the demo has no account with one open single-zone meter")


async def test_an_unknown_number_is_told_how_to_link_and_nothing_is_stored(
    sms_site: Site, gateway: FakeSms, engine: AsyncEngine
) -> None:
    before = await _count(engine, readings)
    answered = await gateway.inbound(sms_site.client, HOOK, "u-1", STRANGER, "1000001357 125")
    assert answered.status_code == 200
    await _deliver(sms_site)
    (reply,) = gateway.texts_to(STRANGER)
    assert "не прив'язано" in reply and "https://test/profile" in reply
    assert await _count(engine, readings) == before


async def test_a_linked_number_sends_a_reading_and_a_retried_callback_stores_nothing_twice(
    sms_site: Site, gateway: FakeSms, engine: AsyncEngine
) -> None:
    await _link(sms_site, gateway)
    account, value = await _a_meter(sms_site, engine)
    before = await _count(engine, readings)
    text = f"{account} {str(value).replace('.', ',')}"
    for _ in range(3):  # the gateway retries the same message
        answered = await gateway.inbound(sms_site.client, HOOK, "m-1", PHONE, text)
        assert answered.status_code == 200
    await _deliver(sms_site)
    assert await _count(engine, readings) == before + 1
    (reply,) = gateway.texts_to(PHONE)
    assert reply.startswith("Прийнято:") and account in reply and "Квитанція" in reply
    await _deliver(sms_site)
    assert len(gateway.texts_to(PHONE)) == 1
    assert await _count(engine, sms_inbound) == 1


async def test_an_account_not_linked_to_the_number_is_refused_without_telling_why(
    sms_site: Site, gateway: FakeSms, engine: AsyncEngine
) -> None:
    await _link(sms_site, gateway)
    resident = await _resident(engine)
    mine = {m.account.number for m in await sms_site.use_cases.list_my_meters(resident)}
    async with engine.connect() as conn:
        numbers = (await conn.execute(select(accounts.c.number))).scalars().all()
    someone_elses = next(n for n in numbers if n not in mine)
    before = await _count(engine, readings)
    await gateway.inbound(sms_site.client, HOOK, "x-1", PHONE, f"{someone_elses} 5")
    await gateway.inbound(sms_site.client, HOOK, "x-2", PHONE, "99999999 5")
    await _deliver(sms_site)
    real, made_up = gateway.texts_to(PHONE)
    assert real.replace(someone_elses, "N") == made_up.replace("99999999", "N")
    assert "не знайдено" in real
    assert await _count(engine, readings) == before


async def test_malformed_and_refused_readings_are_answered_in_the_residents_language(
    sms_site: Site, gateway: FakeSms, engine: AsyncEngine, uow: SqlStorage
) -> None:
    await _link(sms_site, gateway)
    resident = await _resident(engine)
    async with uow(write=True) as tx:
        profile = await uow.profiles.get(resident)
        assert profile is not None
        await uow.profiles.save(replace(profile, language="en"))
        await tx.commit()
    account, value = await _a_meter(sms_site, engine)
    before = await _count(engine, readings)
    await gateway.inbound(sms_site.client, HOOK, "e-1", PHONE, "hello there")
    await gateway.inbound(sms_site.client, HOOK, "e-2", PHONE, f"{account} {value - 100}")
    await _deliver(sms_site)
    syntax, below = gateway.texts_to(PHONE)
    assert syntax.startswith("Send: <account> <reading>")
    assert "below" in below.lower() or "less" in below.lower(), below
    assert await _count(engine, readings) == before


async def test_a_callback_not_signed_with_the_secret_is_refused(
    sms_site: Site, gateway: FakeSms, engine: AsyncEngine
) -> None:
    body = b'{"id": "f-1", "from": "+380501112233", "text": "1000001357 125"}'
    forged = gateway.sign(body, "another-secret-of-length")
    for headers in ({"X-Sms-Signature": forged}, {}):
        answer = await sms_site.client.post(HOOK, content=body, headers=headers)
        assert answer.status_code == 401
    garbage = b"[1, 2"
    signed = {"X-Sms-Signature": gateway.sign(garbage)}
    assert (await sms_site.client.post(HOOK, content=garbage, headers=signed)).status_code == 200
    assert await _count(engine, sms_inbound) == 0


async def test_a_gateway_that_misbehaves_gets_the_answer_later_and_once(
    sms_site: Site, gateway: FakeSms, engine: AsyncEngine
) -> None:
    await gateway.inbound(sms_site.client, HOOK, "g-1", STRANGER, "hi")
    for fault in (429, 503):
        gateway.fail_next(fault)
        await _deliver(sms_site)
        assert gateway.texts_to(STRANGER) == []
        sms_site.clock.instant += timedelta(hours=1)
    gateway.hang_next(1.0)  # longer than the client waits: a timeout, tried again
    await _deliver(sms_site)
    sms_site.clock.instant += timedelta(hours=1)
    await _deliver(sms_site)
    # the hung call may have arrived all the same (no idempotency key): at most twice, never more
    assert 1 <= len(gateway.texts_to(STRANGER)) <= 2
    await _deliver(sms_site)
    assert len(gateway.texts_to(STRANGER)) <= 2
