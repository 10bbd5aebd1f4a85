"""Suppliers' webhooks against a fake receiver on 127.0.0.1 (tests/servers/fake_webhooks.py),
on SQLite and PostgreSQL: signed as Standard Webhooks says, retried after a 500 and a timeout
with the same webhook-id, each item seen exactly once after its 2xx, failed after a day and
sent again from the portal's use case, a bad secret caught, two workers never sending one
batch."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import audit_log, webhook_batches
from komunalka.adapters.webhooks import HttpWebhookSender
from komunalka.application.readings.submit_readings import ReadingItem, SubmitReadingsRequest
from komunalka.application.shared.actors import Actor
from komunalka.application.suppliers.deliver_webhooks import DeliverWebhooks, WebhookPolicy
from komunalka.application.suppliers.manage_webhook import new_secret
from komunalka.application.suppliers.supplier_access import ServiceCaller
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, kyiv
from tests.servers.fake_webhooks import FakeWebhookReceiver
from tests.world import World, build_world

SYSTEM = Actor.system(Channel.CLI)
CALLER = ServiceCaller(SYSTEM)
POLICY = WebhookPolicy(batch_size=4, first_delay=timedelta(seconds=10))


@dataclass
class Push:
    wiring: Wiring
    world: World
    clock: FakeClock
    receiver: FakeWebhookReceiver
    sender: HttpWebhookSender
    engine: object
    secret: str

    def worker(self, name: str = "w1") -> DeliverWebhooks:
        uow = SqlStorage(self.engine)  # type: ignore[arg-type]
        return DeliverWebhooks(
            uow, uow.feed, uow.webhooks, self.sender, self.clock, POLICY, random.Random(1), name
        )

    def later(self, **delta: float) -> None:
        self.clock.instant += timedelta(**delta)


@pytest.fixture
async def push(uow, engine) -> AsyncIterator[Push]:
    world = await build_world(uow)
    clock = FakeClock(kyiv(2026, 11, 20))
    receiver = FakeWebhookReceiver(hang=2.0)
    await receiver.start()
    sender = HttpWebhookSender(timeout=0.5, private_addresses=True)  # the receiver is local
    wiring = Wiring.wire(uow, clock, webhooks=sender, webhook_policy=POLICY, private_webhooks=True)
    secret = await wiring.manage_webhook.set_url(CALLER, "kte", receiver.hook)
    assert secret is not None and secret.startswith("whsec_")
    receiver.secret = secret
    yield Push(wiring, world, clock, receiver, sender, engine, secret)
    await sender.close()
    await receiver.stop()


async def submit(wiring: Wiring, meter_id: int, value: str) -> str:
    result = await wiring.submit_readings(
        SubmitReadingsRequest(SYSTEM, [ReadingItem(meter_id, value)])
    )
    return str(result.readings[0].receipt)


async def test_batches_are_retried_after_a_500_and_a_timeout_and_each_item_arrives_once(
    push: Push,
) -> None:
    push.receiver.script.extend([500, "timeout"])
    first = await push.worker()()
    assert (first.batched, first.retried, first.delivered) == (2, 2, 0)  # 6 items, 4 a batch
    assert push.receiver.items == []
    again = await push.worker()()
    assert again.delivered == 0  # not due yet: the backoff holds them
    push.later(seconds=11)
    done = await push.worker()()
    assert (done.delivered, done.items) == (2, 6)
    assert [i["seq"] for i in push.receiver.items] == [1, 2, 3, 4, 5, 6]
    # each batch kept its webhook-id across its attempts
    ids = Counter(call["id"] for call in push.receiver.calls)
    assert sorted(ids.values()) == [2, 2] and len(push.receiver.accepted) == 2
    assert [c["answer"] for c in push.receiver.calls[:2]] == [500, "timeout"]
    reading = await submit(push.wiring, push.world.hot_water, "117")
    fixed = await submit(push.wiring, push.world.hot_water, "117,5")
    assert (await push.worker()()).delivered == 1
    items = push.receiver.items
    assert [i["seq"] for i in items] == list(range(1, 9))
    assert (items[-1]["kind"], items[-1]["receipt"], items[-1]["replaces"]) == (
        "correction",
        fixed,
        reading,
    )
    assert push.receiver.rejected == 0
    deliveries = await push.wiring.feed_deliveries(CALLER, "kte")
    assert all(p.waiting == 0 for p in deliveries.periods)
    assert sum(p.delivered for p in deliveries.periods) == 8


async def test_a_batch_refused_for_a_day_is_failed_shown_and_sent_again_with_its_id(
    push: Push,
) -> None:
    push.receiver.script.extend([503] * 100)
    for _ in range(30):
        await push.worker()()
        push.later(hours=1)
    view = await push.wiring.manage_webhook.show(CALLER, "kte")
    assert len(view.failed) == 2 and view.failed[0].last_error == "HTTP 503"
    assert push.receiver.items == []
    push.receiver.script.clear()
    for batch in view.failed:
        await push.wiring.manage_webhook.resend(CALLER, "kte", batch.id)
    with pytest.raises(DomainError, match=r"webhook\.not_failed"):
        await push.wiring.manage_webhook.resend(CALLER, "kte", view.failed[0].id)
    assert (await push.worker()()).delivered == 2
    assert {b.event_id for b in view.failed} == set(push.receiver.accepted)
    assert [i["seq"] for i in push.receiver.items] == [1, 2, 3, 4, 5, 6]


async def test_a_message_signed_with_another_secret_is_caught_and_not_delivered(
    push: Push,
) -> None:
    push.receiver.secret = new_secret()
    report = await push.worker()()
    assert report.retried == 2 and report.delivered == 0
    assert push.receiver.rejected == 2 and push.receiver.accepted == {}
    push.receiver.secret = push.secret
    push.later(seconds=11)
    assert (await push.worker()()).delivered == 2


async def test_a_new_secret_replaces_the_old_at_once_and_is_audited(push: Push) -> None:
    secret = await push.wiring.manage_webhook.new_secret(CALLER, "kte")
    assert secret != push.secret
    report = await push.worker()()
    assert push.receiver.rejected == 2 and report.delivered == 0
    async with push.engine.connect() as conn:  # type: ignore[attr-defined]
        actions = [r[0] for r in await conn.execute(select(audit_log.c.action))]
        details = " ".join(r[0] for r in await conn.execute(select(audit_log.c.details)))
    assert {"webhook.set", "webhook.secret"} <= set(actions)
    assert secret not in details and push.secret not in details


async def test_two_workers_at_once_never_send_one_batch(push: Push) -> None:
    for step in range(10):
        await submit(push.wiring, push.world.stranger_meter, f"11.{step}")
    reports = await asyncio.gather(*(push.worker(f"w{i}")() for i in range(3)))
    assert sum(r.delivered for r in reports) == 4  # 16 items, 4 a batch
    assert Counter(c["id"] for c in push.receiver.calls).most_common(1)[0][1] == 1
    assert [i["seq"] for i in push.receiver.items] == list(range(1, 17))
    async with push.engine.connect() as conn:  # type: ignore[attr-defined]
        states = [r[0] for r in await conn.execute(select(webhook_batches.c.state))]
    assert states == ["delivered"] * 4


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "not a url",
        "https://user:pw@example.com/hook",
        "https://",
        "https://example.com/\x00",
        "https://example.com:port/",
        "https://example.com/" + "a" * 2000,
        "javascript:alert(1)",
    ],
)
async def test_a_bad_url_is_refused_and_changes_nothing(push: Push, url: str) -> None:
    with pytest.raises(DomainError, match=r"webhook\.bad_url"):
        await push.wiring.manage_webhook.set_url(CALLER, "kte", url)
    assert (await push.wiring.manage_webhook.show(CALLER, "kte")).url == push.receiver.hook


async def test_a_periods_file_is_announced_by_the_suppliers_webhook_once(push: Push) -> None:
    """The file job queues `period.file_ready` in the transaction that keeps the file; the
    worker pushes it signed, as it pushes the feed; a second run announces nothing more."""
    await submit(push.wiring, push.world.hot_water, "117")
    push.clock.instant = kyiv(2026, 12, 1, 0, 3)  # kte's November window closed
    assert (await push.wiring.write_period_files()).written >= 1
    assert (await push.wiring.write_period_files()).written == 0
    await push.worker()()
    announced = [m for m in push.receiver.accepted.values() if m["type"] == "period.file_ready"]
    assert len(announced) == 1 and push.receiver.rejected == 0
    data = announced[0]["data"]
    assert (data["supplier"], data["period"], data["format"]) == ("kte", "2026-11", "csv")
    assert data["path"] == "/api/v1/supplier/periods/2026-11/file" and data["size"] > 0
    await push.worker()()
    again = [m for m in push.receiver.accepted.values() if m["type"] == "period.file_ready"]
    assert len(again) == 1
