"""Contract of the supplier feed and the webhook book (feed_ports.py), on the fake and on both
databases: submissions write items, the sequencer numbers them 1, 2, 3, … once, a correction
names what it replaces, acknowledgements and fetches are kept, batches are cut, claimed once,
finished and sent again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from komunalka.application.readings.submit_readings import (
    ReadingItem,
    SubmitReadings,
    SubmitReadingsRequest,
)
from komunalka.application.shared.actors import Actor
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, kyiv
from tests.world import build_world

AT = kyiv(2026, 11, 20)
SYSTEM = Actor.system(Channel.CLI)


async def test_items_are_numbered_once_in_order_and_a_correction_names_its_receipt(
    storage: Any,
) -> None:
    world = await build_world(storage)
    submit = SubmitReadings(storage, storage.submissions, storage.readings, FakeClock(AT))
    first = await submit(SubmitReadingsRequest(SYSTEM, [ReadingItem(world.hot_water, "117")]))
    second = await submit(SubmitReadingsRequest(SYSTEM, [ReadingItem(world.hot_water, "118")]))
    kte = world.kte.id
    async with storage(write=True) as tx:
        assert await storage.feed.waiting_suppliers() == [kte]
        head = await storage.feed.sequence(kte)
        again = await storage.feed.sequence(kte)
        await storage.feed.ack(kte, 3, AT)
        await storage.feed.fetched(kte, AT)
        await tx.commit()
    assert head.position == again.position == 8  # 6 of history, a reading, its correction
    async with storage() as _:
        chunks = [c async for c in storage.feed.items(kte, 6, 8)]
        stored = await storage.feed.head(kte)
        periods = await storage.feed.deliveries(kte, 12)
        assert await storage.feed.waiting_suppliers() == []
    items = [i for c in chunks for i in c]
    assert [(i.position, i.receipt, i.replaces) for i in items] == [
        (7, first.readings[0].receipt, None),
        (8, second.readings[0].receipt, first.readings[0].receipt),
    ]
    assert (stored.acked, stored.acked_at, stored.fetched_at) == (3, AT, AT)
    assert sum(p.accepted for p in periods) == 8 and sum(p.delivered for p in periods) == 3


async def test_batches_are_cut_claimed_once_finished_and_sent_again(storage: Any) -> None:
    world = await build_world(storage)
    kte, later = world.kte.id, AT + timedelta(days=1)
    async with storage(write=True) as tx:
        await storage.feed.sequence(kte)
        assert await storage.webhooks.enqueue(kte, "period.file_ready", "{}", AT, later) is None
        await storage.webhooks.set_webhook(kte, "https://example.test/hook", "whsec_AAAA")
        assert await storage.webhooks.hooked_suppliers() == [kte]
        assert await storage.webhooks.cut_batches(kte, 6, 4, AT, later) == 2
        assert await storage.webhooks.cut_batches(kte, 6, 4, AT, later) == 0
        event = await storage.webhooks.enqueue(kte, "period.file_ready", '{"a": 1}', AT, later)
        assert event is not None
        claimed = await storage.webhooks.claim("w1", 10, AT, AT + timedelta(minutes=2))
        assert await storage.webhooks.claim("w2", 10, AT, AT + timedelta(minutes=2)) == []
        await tx.commit()
    assert [(b.first_position, b.last_position) for b in claimed] == [(1, 4), (5, 6), (None, None)]
    assert {b.url for b in claimed} == {"https://example.test/hook"}
    assert claimed[2].payload == '{"a": 1}' and claimed[2].event_id == event
    one, two, three = claimed
    async with storage(write=True) as tx:
        assert await storage.webhooks.finish(one.id, "w1", state="delivered", at=AT)
        assert not await storage.webhooks.finish(two.id, "w2", state="delivered", at=AT)
        assert await storage.webhooks.finish(two.id, "w1", state="failed", at=AT, error="HTTP 500")
        assert await storage.webhooks.finish(
            three.id, "w1", state="waiting", at=AT, error="timeout", next_at=later
        )
        assert not await storage.webhooks.resend(kte, one.id, AT, later)
        assert await storage.webhooks.resend(kte, two.id, AT, later)
        again = await storage.webhooks.claim("w3", 10, AT, AT + timedelta(minutes=2))
        await tx.commit()
    assert [(b.id, b.event_id, b.attempts) for b in again] == [(two.id, two.event_id, 1)]
