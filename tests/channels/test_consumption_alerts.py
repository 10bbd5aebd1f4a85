"""Leak and anomaly notices through their real doors (ADR 0025): the worker's message to the
fake Bot API with a button that opens the "that's right" link; the link's page (no sign-in);
the cabinet's card with its button (signed in, CSRF). Both databases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import (
    account_links,
    consumption_alerts,
    meters,
    readings,
    web_logins,
)
from komunalka.adapters.signing import ItsDangerousSigner
from komunalka.adapters.telegram_notices import TelegramNoticeSender
from komunalka.adapters.throttle import InMemorySendThrottle
from komunalka.application.identity.ports import Identity
from komunalka.application.notifications.deliver_outbox import RetryPolicy
from komunalka.application.readings.ports import NewAlert
from komunalka.bootstrap.feature_wiring import alert_cases
from komunalka.domain.consumption import OVER_USUAL, UnusualUse
from komunalka.domain.periods import BillingPeriod
from tests.channels.pages import NOW, RESIDENT, Site
from tests.fakes import tampered
from tests.servers.fake_telegram import FakeTelegram


async def _alert(site: Site, uow: SqlStorage, engine: AsyncEngine) -> tuple[int, int]:
    """A notice for the demo resident about one of their meters, raised by one of the demo's
    accepted readings: (resident, alert id)."""
    async with engine.connect() as conn:
        resident = (
            await conn.execute(
                select(web_logins.c.resident_id).where(web_logins.c.login == RESIDENT)
            )
        ).scalar_one()
        meter = (
            await conn.execute(
                select(meters.c.id)
                .join(account_links, account_links.c.account_id == meters.c.account_id)
                .where(account_links.c.resident_id == resident, meters.c.service == "cold_water")
                .order_by(meters.c.id)
                .limit(1)
            )
        ).scalar_one()
        receipt = (
            await conn.execute(
                select(readings.c.receipt)
                .where(readings.c.receipt.is_not(None), readings.c.status == "accepted")
                .limit(1)
            )
        ).scalar_one()
    unusual = UnusualUse(OVER_USUAL, Decimal(40), Decimal(8), 12, Decimal(60))
    now = site.clock.now()
    new = NewAlert(meter, BillingPeriod(2026, 11), resident, receipt, unusual, "telegram", now)
    async with uow(write=True) as tx:
        await uow.alerts.add([new])
        await tx.commit()
    (listed,) = await site.use_cases.list_alerts(resident)
    return resident, listed.id


async def _state(engine: AsyncEngine, alert_id: int) -> tuple[str, object]:
    t = consumption_alerts
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(t.c.state, t.c.confirmed_at).where(t.c.id == alert_id))
        ).one()
    return row.state, row.confirmed_at


async def test_the_link_confirms_without_signing_in_and_a_forged_one_changes_nothing(
    site: Site, uow: SqlStorage, engine: AsyncEngine
) -> None:
    _, alert_id = await _alert(site, uow, engine)
    token = site.use_cases.confirm_alert.token_for(alert_id)
    page = await site.client.get(f"/alerts/ok/{token}")
    assert page.status_code == 200 and "Так, усе правильно" in page.text
    bad = await site.client.post(f"/alerts/ok/{tampered(token)}")
    assert bad.status_code == 404 and "недійсне" in bad.text
    assert await _state(engine, alert_id) == ("waiting", None)
    done = await site.client.post(f"/alerts/ok/{token}")
    assert done.status_code == 200 and "усе правильно" in done.text
    assert await _state(engine, alert_id) == ("confirmed", site.clock.now())
    again = await site.client.post(f"/alerts/ok/{token}")  # harmless twice
    assert again.status_code == 200
    assert not await site.use_cases.send_alerts()  # confirmed before it went: never sent


async def test_the_cabinet_shows_the_notice_and_its_button_confirms_it(
    site: Site, uow: SqlStorage, engine: AsyncEngine
) -> None:
    _, alert_id = await _alert(site, uow, engine)
    await site.sign_in()
    home = await site.get("/")
    assert "Незвично велике споживання" in home.text and f"/alerts/{alert_id}/ok" in home.text
    assert "за листопад 2026 — 40 м³" in home.text or "40 кВт·год" in home.text
    refused = await site.post(f"/alerts/{alert_id}/ok", csrf=False)
    assert refused.status_code == 403 and (await _state(engine, alert_id))[1] is None
    done = await site.post(f"/alerts/{alert_id}/ok", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/?done=alert_ok"
    assert (await _state(engine, alert_id))[1] == site.clock.now()
    assert f"/alerts/{alert_id}/ok" not in (await site.get("/")).text


async def test_the_cabinet_cannot_confirm_another_residents_notice(
    site: Site, uow: SqlStorage, engine: AsyncEngine
) -> None:
    _, alert_id = await _alert(site, uow, engine)
    await site.sign_in()
    missing = await site.post(f"/alerts/{alert_id + 1000}/ok")
    assert missing.status_code == 404


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(token=f"{uuid.uuid4().int % 10**9}:T")
    await server.start()
    yield server
    await server.stop()


async def test_the_bot_sends_the_notice_with_a_button_that_opens_the_link(
    site: Site, uow: SqlStorage, engine: AsyncEngine, telegram: FakeTelegram
) -> None:
    resident, alert_id = await _alert(site, uow, engine)
    async with uow(write=True) as tx:  # the reading came by Telegram: the notice goes there
        await uow.identities.add(Identity("telegram", "777", resident, "en", False), NOW)
        await tx.commit()
    async with httpx.AsyncClient(base_url=telegram.url, timeout=5) as client:
        sender = TelegramNoticeSender(client, telegram.token, InMemorySendThrottle({}))
        signer = ItsDangerousSigner("a-test-secret-of-some-length")
        cases = alert_cases(
            uow, site.clock, {"telegram": sender}, signer, "https://k.test", RetryPolicy()
        )
        telegram.fail_next(502)
        assert (await cases["send_alerts"]()).retried == 1
        assert not await cases["send_alerts"]()  # not before its time
        site.clock.instant = NOW + timedelta(minutes=5)
        assert (await cases["send_alerts"]()).sent == 1
        assert not await cases["send_alerts"]()  # once
    assert len(telegram.sent()) == 2  # the 502, then the one delivered
    (delivered,) = telegram.delivered()
    message = delivered.params
    assert str(message["chat_id"]) == "777" and "40 м³" in message["text"]
    (button,) = message["reply_markup"]["inline_keyboard"][0]
    assert "callback_data" not in button and button["url"].startswith("https://k.test/alerts/ok/")
    assert (await _state(engine, alert_id))[0] == "sent"
    # the button's link is the one the page takes
    token = button["url"].rsplit("/", 1)[1]
    assert signer.verify("alerts.ok", token) == alert_id
