"""Leak and anomaly notices (ADR 0025) from the reading to the message, through the use cases on
each storage: written with the reading, sent once through the resident's channel, withdrawn when
the reading is corrected first, stopped by "that's right"; a reading is never refused for it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from komunalka.adapters.db.tables import audit_log
from komunalka.application.identity.ports import Identity, ResidentProfile
from komunalka.application.notifications.channels import Notice, Outcome, SendResult
from komunalka.application.readings.judging import ReadingItem
from komunalka.application.readings.submit_readings import SubmitReadingsRequest
from komunalka.application.shared.actors import Actor
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, InMemoryStore, kyiv, tampered
from tests.world import World, build_world

NOON = kyiv(2026, 11, 20, 12, 0)
# The world's hot-water meter used 2.5 m3 a month from May to October (115 in October): 10 m3
# in November is four times usual (the submission asks to confirm that jump first).
HIGH = ReadingItem(0, "125", confirm=frozenset({"reading.jump"}))


class RecordingSender:
    """Takes every notice; answers `outcome` (sent unless told otherwise)."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []
        self.outcome = SendResult(Outcome.SENT)

    async def send(self, notices: Sequence[Notice]) -> list[SendResult]:
        self.notices.extend(notices)
        return [self.outcome for _ in notices]


async def _setup(
    storage: Any, channel: str | None = "telegram"
) -> tuple[World, Wiring, FakeClock, RecordingSender]:
    world = await build_world(storage)
    async with storage(write=True) as tx:
        await storage.identities.add(
            Identity("telegram", "chat-1", world.resident, "uk", channel is not None), NOON
        )
        if channel is not None:
            await storage.profiles.save(ResidentProfile(world.resident, "uk", channel, NOON))
        await tx.commit()
    clock = FakeClock(NOON)
    sender = RecordingSender()
    wiring = Wiring.wire(storage, clock, notices={"telegram": sender, "sms": sender})
    return world, wiring, clock, sender


def _send(world: World, value: str = "125", via: Channel = Channel.WEB, key: str | None = None):
    item = ReadingItem(world.hot_water, value, confirm=HIGH.confirm)
    return SubmitReadingsRequest(Actor.resident(world.resident, via), [item], key)


async def test_an_unusual_month_is_accepted_and_told_once_with_advice_and_a_way_to_confirm(
    storage: Any,
) -> None:
    world, wiring, _, sender = await _setup(storage)
    result = await wiring.submit_readings(_send(world))
    assert result.readings[0].value == 125  # accepted: the notice never stops a reading
    done = await wiring.send_alerts()
    assert done.sent == 1 and not await wiring.send_alerts()  # once
    (notice,) = sender.notices
    assert notice.channel == "telegram" and notice.address == "chat-1"
    assert "HW0011234" in notice.text and "10 м³" in notice.text and "2,5 м³" in notice.text
    assert "рушникосушку" in notice.text and "Показник прийнято" in notice.text
    assert notice.button == "Так, усе правильно" and not notice.action
    assert "/alerts/ok/" in notice.link
    (listed,) = await wiring.list_alerts(world.resident)
    assert listed.state == "sent" and listed.confirmed_at is None
    assert await wiring.confirm_alert.by_link(notice.link.rsplit("/", 1)[1])
    (listed,) = await wiring.list_alerts(world.resident)
    assert listed.confirmed_at == wiring.clock.now()
    assert await confirmations(storage) == [(f"alert:{listed.id}", "system", "web")]


async def test_a_usual_month_tells_nothing(storage: Any) -> None:
    world, wiring, _, sender = await _setup(storage)
    await wiring.submit_readings(_send(world, "118"))
    assert not await wiring.send_alerts() and sender.notices == []
    assert await wiring.list_alerts(world.resident) == []


async def test_a_refused_submission_leaves_no_notice(storage: Any) -> None:
    world, wiring, _, _ = await _setup(storage)
    item = ReadingItem(world.hot_water, "125")  # the jump not confirmed: refused
    request = SubmitReadingsRequest(Actor.resident(world.resident, Channel.WEB), [item])
    with pytest.raises(DomainError):
        await wiring.submit_readings(request)
    assert await wiring.list_alerts(world.resident) == []


async def test_a_repeated_submission_and_a_correction_tell_nothing_twice(storage: Any) -> None:
    world, wiring, _, sender = await _setup(storage)
    await wiring.submit_readings(_send(world, key="k1"))
    again = await wiring.submit_readings(_send(world, key="k1"))
    assert again.replayed
    await wiring.submit_readings(_send(world, "130"))  # corrected before the notice went
    assert (await wiring.send_alerts()).sent == 1
    (notice,) = sender.notices
    assert "15 м³" in notice.text  # the correction's figures
    await wiring.submit_readings(_send(world, "140"))  # after it went: nothing more
    assert not await wiring.send_alerts()
    assert len(await wiring.list_alerts(world.resident)) == 1


async def test_a_notice_whose_reading_was_corrected_to_a_usual_month_is_withdrawn(
    storage: Any,
) -> None:
    world, wiring, _, sender = await _setup(storage)
    await wiring.submit_readings(_send(world))
    await wiring.submit_readings(_send(world, "117.5"))
    assert (await wiring.send_alerts()).withdrawn == 1 and sender.notices == []


async def confirmations(storage: Any) -> list[tuple[str, str, str]]:
    """The audit's `alert.confirm` entries: subject, kind of actor, channel."""
    if isinstance(storage, InMemoryStore):
        return [
            (subject, actor.kind.value, actor.channel.value)
            for actor, action, subject, _ in storage.state.audit
            if action == "alert.confirm"
        ]
    async with storage.engine.connect() as conn:
        a = audit_log.c
        query = select(a.subject, a.actor_kind, a.channel).where(a.action == "alert.confirm")
        return [tuple(r) for r in await conn.execute(query.order_by(a.id))]


async def test_confirmed_before_it_went_it_does_not_go(storage: Any) -> None:
    world, wiring, _, sender = await _setup(storage)
    await wiring.submit_readings(_send(world))
    (listed,) = await wiring.list_alerts(world.resident)
    assert not await wiring.confirm_alert.by_resident(world.resident + 1, listed.id)
    assert await wiring.confirm_alert.by_resident(world.resident, listed.id)
    assert await wiring.confirm_alert.by_resident(world.resident, listed.id)  # harmless twice
    assert await confirmations(storage) == [(f"alert:{listed.id}", "resident", "web")] * 2
    assert not await wiring.send_alerts() and sender.notices == []
    (listed,) = await wiring.list_alerts(world.resident)
    assert listed.state == "confirmed"
    await wiring.submit_readings(_send(world, "135"))  # and nothing more of that month
    assert not await wiring.send_alerts()


async def test_a_forged_link_confirms_nothing(storage: Any) -> None:
    world, wiring, _, _ = await _setup(storage)
    await wiring.submit_readings(_send(world))
    (listed,) = await wiring.list_alerts(world.resident)
    token = wiring.confirm_alert.token_for(listed.id)
    assert not await wiring.confirm_alert.by_link(tampered(token))
    assert not await wiring.confirm_alert.by_link("garbage")
    (listed,) = await wiring.list_alerts(world.resident)
    assert listed.confirmed_at is None and listed.state == "waiting"
    assert await confirmations(storage) == []


async def test_without_a_reminder_channel_it_goes_to_the_bot_the_reading_came_by(
    storage: Any,
) -> None:
    world, wiring, _, sender = await _setup(storage, channel=None)
    await wiring.submit_readings(_send(world, via=Channel.TELEGRAM))
    assert (await wiring.send_alerts()).sent == 1
    assert sender.notices[0].address == "chat-1"


async def test_with_nowhere_to_go_it_stays_for_the_cabinet(storage: Any) -> None:
    world, wiring, _, sender = await _setup(storage, channel=None)
    await wiring.submit_readings(_send(world, via=Channel.WEB))
    assert (await wiring.send_alerts()).no_channel == 1 and sender.notices == []
    (listed,) = await wiring.list_alerts(world.resident)
    assert listed.state == "no_channel"


async def test_a_transient_fault_is_retried_later_and_a_blocked_bot_is_marked(
    storage: Any,
) -> None:
    world, wiring, clock, sender = await _setup(storage)
    await wiring.submit_readings(_send(world))
    sender.outcome = SendResult(Outcome.RETRY, "HTTP 502")
    assert (await wiring.send_alerts()).retried == 1
    assert not await wiring.send_alerts()  # not before its time
    clock.instant = NOON + timedelta(minutes=1)
    sender.outcome = SendResult(Outcome.UNREACHABLE, "blocked")
    assert (await wiring.send_alerts()).unreachable == 1
    assert len(sender.notices) == 2


async def test_a_send_whose_worker_died_is_counted_unknown_and_never_resent(
    storage: Any,
) -> None:
    world, wiring, clock, sender = await _setup(storage)
    await wiring.submit_readings(_send(world))
    async with storage(write=True) as tx:  # a worker claims and begins, then dies
        claim = await storage.alerts.claim("dead", 10, NOON, timedelta(minutes=2))
        assert await storage.alerts.begin_attempt(
            claim.alerts[0].id, "dead", NOON, NOON + timedelta(minutes=2)
        )
        await tx.commit()
    assert not await wiring.send_alerts()  # still within its lease
    clock.instant = NOON + timedelta(minutes=3)
    done = await wiring.send_alerts()
    assert done.unknown == 1 and done.sent == 0 and sender.notices == []
    assert not await wiring.send_alerts()
