"""The portal's deliveries page over HTTP: per period accepted, delivered and waiting, the last
fetch, the webhook's address and its secret shown once, a bad address refused, a failed batch
listed and sent again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import feed_heads, webhook_batches
from komunalka.adapters.webhooks import HttpWebhookSender
from komunalka.application.suppliers.deliver_webhooks import DeliverWebhooks, WebhookPolicy
from tests.channels.pages import SUPPLIER, Site, text_of
from tests.channels.test_supplier_portal import app_of, issue_token


def secret_on(html: str) -> str:
    start = html.index('id="new-secret">') + len('id="new-secret">')
    return html[start : html.index("<", start)]


async def heads(site: Site) -> list[tuple[object, ...]]:
    async with app_of(site).state.container.engine.connect() as conn:
        query = select(feed_heads.c.webhook_url, feed_heads.c.webhook_secret, feed_heads.c.acked)
        return [tuple(r) for r in await conn.execute(query)]


async def test_the_page_counts_per_period_what_the_supplier_has_and_when_it_fetched(
    site: Site,
) -> None:
    await site.sign_in_staff(SUPPLIER)
    before = text_of((await site.get("/supplier/deliveries")).text)
    assert "Ваша система ще не забирала стрічку" in before
    auth = {"Authorization": f"Bearer {await issue_token(site)}"}
    page = await site.client.get("/api/v1/supplier/readings/changes?limit=3", headers=auth)
    cursor = page.json()["cursor"]
    acked = await site.client.post(
        "/api/v1/supplier/readings/ack", json={"cursor": cursor}, headers=auth
    )
    assert acked.status_code == 200
    shown = await site.get("/supplier/deliveries")
    assert shown.status_code == 200
    text = text_of(shown.text)
    assert "востаннє забирала стрічку" in text and "Востаннє підтверджено" in text
    # the table's numbers: three delivered in all, the rest waiting
    rows = shown.text.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    numbers = [[int(n) for n in text_of(r).split()[1:]] for r in rows]
    assert sum(n[1] for n in numbers) == 3
    assert all(a == d + w for a, d, w in numbers) and sum(n[2] for n in numbers) > 0


async def test_a_webhook_is_set_with_a_secret_shown_once_and_a_bad_address_is_refused(
    site: Site,
) -> None:
    await site.sign_in_staff(SUPPLIER)
    bad = await site.post("/supplier/deliveries/webhook", {"url": "ftp://x"})
    assert bad.status_code == 400 and "http://" in text_of(bad.text)
    assert all(h[0] is None for h in await heads(site))
    inside = await site.post("/supplier/deliveries/webhook", {"url": "http://127.0.0.1:9/hook"})
    assert "не може вести в локальну" in text_of(inside.text)
    assert all(h[0] is None for h in await heads(site))  # nothing changed
    hook = "https://hooks.example.invalid/hook"  # a public name that does not resolve
    saved = await site.post("/supplier/deliveries/webhook", {"url": hook})
    assert saved.status_code == 200 and saved.headers["cache-control"] == "no-store"
    secret = secret_on(saved.text)
    assert secret.startswith("whsec_")
    again = await site.get("/supplier/deliveries")
    assert secret not in again.text and hook in again.text
    rotated = await site.post("/supplier/deliveries/secret")
    assert secret_on(rotated.text) != secret
    # a batch that cannot be delivered (the name does not resolve) fails and is sent again
    storage = SqlStorage(app_of(site).state.container.engine)
    worker = DeliverWebhooks(
        storage,
        storage.feed,
        storage.webhooks,
        HttpWebhookSender(timeout=1),
        site.clock,
        WebhookPolicy(batch_size=10_000, give_up_after=timedelta(0)),
    )
    report = await worker()
    assert report.failed == 1 and report.delivered == 0
    listed = await site.get("/supplier/deliveries")
    assert "Пакети, що не дійшли" in listed.text and "network" in listed.text
    batch_id = listed.text.split("/supplier/deliveries/batches/")[1].split("/resend")[0]
    resent = await site.post(f"/supplier/deliveries/batches/{batch_id}/resend")
    assert resent.status_code == 303
    async with app_of(site).state.container.engine.connect() as conn:
        states = [r[0] for r in await conn.execute(select(webhook_batches.c.state))]
    assert states == ["waiting"]
    missing = await site.post(f"/supplier/deliveries/batches/{batch_id}/resend")
    assert missing.status_code == 404
    removed = await site.post("/supplier/deliveries/webhook", {"url": ""})
    assert removed.status_code == 200 and all(h[0] is None for h in await heads(site))
