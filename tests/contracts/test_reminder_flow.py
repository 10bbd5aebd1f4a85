"""Reminders from plan to message, through the use cases on each storage: who is reached, once,
with what; who is skipped, merged, cancelled, paused or marked unreachable."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from komunalka.adapters.db.tables import reminder_plans
from komunalka.application.identity.ports import Identity, ResidentProfile
from komunalka.application.notifications.channels import Notice, Outcome, SendResult
from komunalka.application.notifications.manage_reminders import RuleChange
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, new_receipt
from komunalka.domain.reminders import RuleKind
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, InMemoryStore, kyiv
from tests.world import World, build_world

MORNING = kyiv(2026, 11, 20, 10, 0)
EVENING = kyiv(2026, 11, 20, 19, 59, 59)


class RecordingSender:
    """Takes every notice; answers what `outcomes` says for its address (sent otherwise)."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []
        self.outcomes: dict[str, SendResult] = {}

    async def send(self, notices: Sequence[Notice]) -> list[SendResult]:
        self.notices.extend(notices)
        return [self.outcomes.get(n.address, SendResult(Outcome.SENT)) for n in notices]


async def _setup(
    storage: Any, channel: str = "telegram"
) -> tuple[World, Wiring, FakeClock, RecordingSender]:
    world = await build_world(storage)
    async with storage(write=True) as tx:
        await storage.identities.add(
            Identity(channel, "chat-1", world.resident, "uk", True), MORNING
        )
        await storage.profiles.save(ResidentProfile(world.resident, "uk", channel, MORNING))
        await tx.commit()
    clock = FakeClock(MORNING)
    sender = RecordingSender()
    wiring = Wiring.wire(storage, clock, notices={channel: sender})
    return world, wiring, clock, sender


async def plan_counts(storage: Any) -> dict[tuple[int, str], int]:
    """How many reminders each (rule, run) recorded as planned."""
    if isinstance(storage, InMemoryStore):
        return dict(storage.state.reminder_plan_counts)
    async with storage.engine.connect() as conn:
        rows = await conn.execute(
            select(reminder_plans.c.rule_id, reminder_plans.c.run, reminder_plans.c.planned)
        )
        return {(r.rule_id, r.run): r.planned for r in rows}


async def test_due_residents_are_planned_once_and_reminded_once_with_what_they_owe(
    storage: Any,
) -> None:
    _, wiring, clock, sender = await _setup(storage)
    planned = await wiring.plan_reminders()
    again = await wiring.plan_reminders()
    assert {(p.supplier, p.kind, p.planned) for p in planned.rules if p.planned} == {
        ("kte", RuleKind.OPENS, 1),
        ("kte", RuleKind.VERIFICATION_OVERDUE, 1),
    }
    assert again.planned == 0 and not again.rules
    recorded = await plan_counts(storage)
    assert sorted((run, n) for (_, run), n in recorded.items() if n) == sorted(
        (p.run, p.planned) for p in planned.rules if p.planned
    )  # each run keeps its count (0 for a rule that reached nobody)
    clock.instant = EVENING
    done = await wiring.send_reminders()
    assert done.sent == 2 and done.failed == 0
    window, verification = sorted(sender.notices, key=lambda n: "повірк" in n.text)
    assert window.address == "chat-1" and window.action == "send"
    assert "HW0011234" in window.text and "30.11.2026" in window.text
    assert "HW0019999" in verification.text
    assert not await wiring.send_reminders()  # nothing twice
    view = await wiring.show_reminders(None, "kte")
    counts = {v.rule.kind: v.counts for v in view.rules}
    assert counts[RuleKind.OPENS] == {"sent": 1}


async def test_nothing_goes_before_its_moment_or_outside_quiet_hours(storage: Any) -> None:
    _, wiring, clock, sender = await _setup(storage)
    await wiring.plan_reminders()
    clock.instant = kyiv(2026, 11, 20, 21, 0)
    assert not await wiring.send_reminders()
    assert sender.notices == []


async def test_a_resident_who_sent_meanwhile_is_skipped(storage: Any) -> None:
    world, wiring, clock, sender = await _setup(storage)
    await wiring.change_reminder_rule(
        None, "kte", RuleChange(RuleKind.VERIFICATION_OVERDUE, enabled=False)
    )
    await wiring.plan_reminders()
    await _read(storage, world, [world.hot_water, world.overdue])
    clock.instant = EVENING
    done = await wiring.send_reminders()
    assert done.skipped == 1 and sender.notices == []


async def test_reminders_of_one_day_go_in_one_message(storage: Any) -> None:
    _, wiring, clock, sender = await _setup(storage)
    clock.instant = kyiv(2026, 11, 30, 10, 0)  # kte's last day, yasno's window open
    await wiring.plan_reminders()
    clock.instant = kyiv(2026, 11, 30, 19, 59, 59)
    done = await wiring.send_reminders()
    window_notices = [n for n in sender.notices if "повірк" not in n.text]
    assert len(window_notices) == 1
    assert "YASNO" in window_notices[0].text and "Київтеплоенерго" in window_notices[0].text
    assert done.merged >= 1


async def test_a_blocked_bot_marks_the_resident_unreachable_until_they_write(storage: Any) -> None:
    _, wiring, clock, sender = await _setup(storage)
    sender.outcomes["chat-1"] = SendResult(Outcome.UNREACHABLE, "Forbidden: bot was blocked")
    await wiring.plan_reminders()
    clock.instant = EVENING
    done = await wiring.send_reminders()
    assert done.unreachable >= 1
    clock.instant = kyiv(2026, 11, 27, 10, 0)  # three days before the close
    assert (await wiring.plan_reminders()).planned == 0
    await wiring.reachable_again("telegram", "chat-1")
    clock.instant = kyiv(2026, 11, 30, 10, 0)
    assert (await wiring.plan_reminders()).planned >= 1


async def test_transient_faults_are_retried_later_and_given_up_after_the_last_try(
    storage: Any,
) -> None:
    _, wiring, clock, sender = await _setup(storage)
    sender.outcomes["chat-1"] = SendResult(Outcome.RETRY, "502 Bad Gateway")
    await wiring.change_reminder_rule(
        None, "kte", RuleChange(RuleKind.VERIFICATION_OVERDUE, enabled=False)
    )
    await wiring.plan_reminders()
    clock.instant = kyiv(2026, 11, 20, 12, 0)
    rounds = []
    for minute in range(0, 600, 5):
        clock.instant = kyiv(2026, 11, 20, 10 + minute // 60, minute % 60)
        rounds.append(await wiring.send_reminders())
    assert sum(r.retried for r in rounds) == 7 and sum(r.failed for r in rounds) == 1
    assert len(sender.notices) == 8


async def test_a_paused_rule_holds_its_reminders_and_resuming_lets_them_go(storage: Any) -> None:
    _, wiring, clock, sender = await _setup(storage)
    await wiring.plan_reminders()
    await wiring.change_reminder_rule(None, "kte", RuleChange(RuleKind.OPENS, paused=True))
    clock.instant = EVENING
    done = await wiring.send_reminders()
    assert done.sent == 1 and all("повірк" in n.text for n in sender.notices)
    await wiring.change_reminder_rule(None, "kte", RuleChange(RuleKind.OPENS, paused=False))
    assert (await wiring.send_reminders()).sent == 1


async def test_turning_reminders_off_in_the_bot_cancels_what_is_queued(storage: Any) -> None:
    _, wiring, clock, _ = await _setup(storage)
    await wiring.plan_reminders()
    await wiring.update_preferences(Channel.TELEGRAM, "chat-1", reminders=False)
    clock.instant = EVENING
    assert not await wiring.send_reminders()
    view = await wiring.show_reminders(None, "kte")
    assert {v.rule.kind: v.counts for v in view.rules}[RuleKind.OPENS] == {"cancelled": 1}


async def test_turning_reminders_on_in_the_bot_makes_it_the_channel_with_consent(
    storage: Any,
) -> None:
    world, wiring, _, _ = await _setup(storage, channel="viber")
    async with storage(write=True) as tx:
        await storage.identities.add(
            Identity("telegram", "tg-9", world.resident, "uk", False), MORNING
        )
        await tx.commit()
    await wiring.update_preferences(Channel.TELEGRAM, "tg-9", reminders=True)
    async with storage() as tx:
        profile = await storage.profiles.get(world.resident)
        await tx.commit()
    assert profile.reminder_channel == "telegram" and profile.reminder_consent_at == MORNING


async def test_preview_lists_whom_each_rule_would_reach_now(storage: Any) -> None:
    world, wiring, _, _ = await _setup(storage)
    view = await wiring.show_reminders(None, "kte")
    by_kind = {v.rule.kind: v for v in view.rules}
    assert view.period == BillingPeriod(2026, 11)
    assert by_kind[RuleKind.OPENS].audience.count == 1
    assert by_kind[RuleKind.OPENS].audience.sample[0].resident_id == world.resident
    assert by_kind[RuleKind.VERIFICATION_OVERDUE].audience.count == 1
    assert by_kind[RuleKind.VERIFICATION_SOON].audience.count == 0


async def _read(storage: Any, world: World, meters: list[int]) -> None:
    period = BillingPeriod(2026, 11)
    at = datetime(2026, 11, 20, 11, 0).astimezone()
    readings = [Reading(m, "T1", period, 500, at, Channel.WEB, new_receipt(period)) for m in meters]
    async with storage(write=True) as tx:
        await storage.readings.add(readings)
        await tx.commit()
