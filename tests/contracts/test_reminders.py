"""Contract of the reminders' planning (ReminderRules, ReminderBook): whom a rule reaches, once
per resident, rule and period, at each resident's own moment; the meters a reminder speaks of;
identities reported unreachable. Claims and outcomes: test_reminder_claims.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from komunalka.domain.reminders import ReminderRule, RuleKind, SendSpan, from_epoch
from tests.contracts.reminder_world import (
    AT,
    PERIOD,
    SPAN,
    ReminderWorld,
    build_reminder_world,
    counts,
    plan,
)

LEASE = timedelta(minutes=2)
END = from_epoch(SPAN.start + SPAN.seconds)


def _due(world: ReminderWorld) -> dict[int, tuple[str, str, str, str]]:
    r = world.residents
    return {
        r.email: ("Олена", "email", "olena@example.com", "en"),
        r.sms: ("Петро", "sms", "+380501234567", "uk"),
        r.telegram: ("Тарас", "telegram", "111", "uk"),  # the least of its two identities
    }


async def _claim(storage: Any, at: datetime, lease: timedelta = LEASE) -> Any:
    async with storage(write=True) as tx:
        claim = await storage.reminder_book.claim("w", 100, at, lease)
        await tx.commit()
    return claim


def _whom(claim: Any) -> dict[int, tuple[str, str, str, str]]:
    return {
        c.recipient.resident_id: (
            c.recipient.name,
            c.recipient.channel,
            c.recipient.address,
            c.recipient.language,
        )
        for c in claim.reminders
    }


async def test_planning_reaches_exactly_the_residents_due_with_consent_and_a_channel(
    storage: Any,
) -> None:
    world = await build_reminder_world(storage)
    async with storage() as tx:
        audience = await storage.reminder_book.audience(world.kte, PERIOD, 2)
        await tx.commit()
    due = _due(world)
    assert audience.count == 3
    assert [r.resident_id for r in audience.sample] == sorted(due)[:2]
    assert [(r.name, r.channel, r.address, r.language) for r in audience.sample] == [
        due[i] for i in sorted(due)[:2]
    ]
    assert await plan(storage, world) == 3
    claim = await _claim(storage, END)
    assert _whom(claim) == due
    assert {(c.rule_id, c.kind, c.supplier_id, c.period) for c in claim.reminders} == {
        (world.opens, RuleKind.OPENS, world.kte, PERIOD)
    }


async def test_a_rule_plans_once_per_resident_and_period(storage: Any) -> None:
    world = await build_reminder_world(storage)
    assert await plan(storage, world) == 3
    assert await plan(storage, world) == 0
    assert await plan(storage, world, world.before_close) == 3
    assert await counts(storage, world) == {
        world.opens: {"planned": 3},
        world.before_close: {"planned": 3},
    }
    async with storage() as tx:
        assert await storage.reminder_book.counts(world.kte, PERIOD + 1) == {}
        assert await storage.reminder_book.counts(world.yasno, PERIOD) == {}
        await tx.commit()


async def test_each_resident_is_due_at_their_own_moment_of_the_span(storage: Any) -> None:
    world = await build_reminder_world(storage)
    await plan(storage, world)
    moments = sorted((SPAN.moment(resident), resident) for resident in _due(world))
    assert all(SPAN.start <= m < SPAN.start + SPAN.seconds for m, _ in moments)
    assert len({m for m, _ in moments}) == 3
    assert (await _claim(storage, from_epoch(moments[0][0] - 1))).reminders == []
    for moment, resident in moments:  # each comes due at its moment, not a second before
        claimed = await _claim(storage, from_epoch(moment), lease=timedelta(days=1))
        assert [c.recipient.resident_id for c in claimed.reminders] == [resident]


async def test_a_plan_begins_once_per_rule_and_run(storage: Any) -> None:
    world = await build_reminder_world(storage)
    async with storage(write=True) as tx:
        assert await storage.reminder_book.begin_plan(world.opens, "2026-11", AT)
        assert not await storage.reminder_book.begin_plan(world.opens, "2026-11", AT)
        assert await storage.reminder_book.begin_plan(world.opens, "2026-12", AT)
        assert await storage.reminder_book.begin_plan(world.before_close, "2026-11", AT)
        await tx.commit()
    async with storage(write=True) as tx:
        assert not await storage.reminder_book.begin_plan(world.opens, "2026-11", AT)


async def test_verification_notices_are_planned_once_per_resident_and_month_due(
    storage: Any,
) -> None:
    world = await build_reminder_world(storage)
    r = world.residents
    async with storage(write=True) as tx:
        rule = await storage.reminder_rules.save(
            ReminderRule(world.kte, RuleKind.VERIFICATION_SOON, 30)
        )
        window = (date(2026, 12, 1), date(2027, 1, 31))
        audience = await storage.reminder_book.verification_audience(world.kte, *window, 10)
        added = await storage.reminder_book.plan_verification(rule.id, world.kte, *window, SPAN)
        again = await storage.reminder_book.plan_verification(rule.id, world.kte, *window, SPAN)
        narrow = (date(2026, 12, 16), date(2026, 12, 31))  # only S2, the email resident's
        few = await storage.reminder_book.verification_audience(world.kte, *narrow, 10)
        await tx.commit()
    # email: S1 and S2 in December (one); telegram: S1 in December, S6 in January (two)
    assert (added, again, audience.count) == (3, 0, 3)
    assert [x.resident_id for x in audience.sample] == sorted([r.email, r.telegram, r.telegram])
    assert [x.resident_id for x in few.sample] == [r.email]
    claim = await _claim(storage, END)
    december = date(2026, 12, 1).year * 12 + 11
    assert sorted((c.recipient.resident_id, c.period) for c in claim.reminders) == sorted(
        [(r.email, december), (r.telegram, december), (r.telegram, december + 1)]
    )
    assert {c.kind for c in claim.reminders} == {RuleKind.VERIFICATION_SOON}


async def test_rules_are_stored_once_per_supplier_and_kind(storage: Any) -> None:
    world = await build_reminder_world(storage)
    async with storage(write=True) as tx:
        paused = ReminderRule(world.kte, RuleKind.OPENS, 0, enabled=True, paused=True)
        saved = await storage.reminder_rules.save(paused)
        again = await storage.reminder_rules.save(paused)
        await tx.commit()
    assert saved == again == paused.with_id(world.opens)
    async with storage() as tx:
        stored = await storage.reminder_rules.stored(world.kte)
        assert await storage.reminder_rules.stored(world.yasno) == []
        await tx.commit()
    assert stored == [
        paused.with_id(world.opens),
        ReminderRule(world.kte, RuleKind.BEFORE_CLOSE, 3, id=world.before_close),
    ]


async def test_linked_meters_are_the_active_ones_with_their_last_accepted_period(
    storage: Any,
) -> None:
    world = await build_reminder_world(storage)
    r = world.residents
    async with storage() as tx:
        email = await storage.reminder_book.linked_meters(r.email)
        sent = await storage.reminder_book.linked_meters(r.sent)
        inactive = await storage.reminder_book.linked_meters(r.inactive)
        await tx.commit()
    april = 2026 * 12 + 3
    assert [(m.account_number, m.serial, m.last_read_period) for m in email] == [
        ("1000000001", "HW0000001", april),
        ("1000000002", "HW0000002", april),
    ]
    first = email[0]
    assert (first.supplier_id, first.supplier_name, first.window_rule, first.timezone) == (
        world.kte,
        "Київтеплоенерго",
        "5..-1",
        "Europe/Kyiv",
    )
    assert (first.service, first.water_heater, first.verification_due) == (
        "hot_water",
        False,
        date(2026, 12, 15),
    )
    assert [(m.serial, m.last_read_period) for m in sent] == [("HW0000003", PERIOD)]
    assert inactive == []


async def test_an_unreachable_identity_is_not_planned_until_it_writes_again(storage: Any) -> None:
    world = await build_reminder_world(storage)
    r = world.residents
    async with storage(write=True) as tx:
        await storage.reminder_book.reachable_again("viber", "v1")
        await storage.reminder_book.reachable_again("viber", "v1")  # nothing to clear: no-op
        await tx.commit()
    assert await plan(storage, world) == 4
    async with storage(write=True) as tx:
        await storage.reminder_book.mark_unreachable("viber", "v1", AT)
        await storage.reminder_book.mark_unreachable("viber", "nobody", AT)
        audience = await storage.reminder_book.audience(world.kte, PERIOD, 10)
        await tx.commit()
    assert r.unreachable not in [x.resident_id for x in audience.sample]
    assert await counts(storage, world) == {world.opens: {"planned": 3, "unreachable": 1}}
    assert r.unreachable not in _whom(await _claim(storage, END))
    async with storage(write=True) as tx:  # a Telegram identity blocked: the other one serves
        await storage.reminder_book.mark_unreachable("telegram", "111", AT)
        audience = await storage.reminder_book.audience(world.kte, PERIOD, 10)
        await tx.commit()
    telegram = [x for x in audience.sample if x.resident_id == r.telegram]
    assert [x.address for x in telegram] == ["222"]


async def test_nothing_is_due_in_an_empty_span_moment(storage: Any) -> None:
    world = await build_reminder_world(storage)
    async with storage(write=True) as tx:
        point = SendSpan(SPAN.start, 0)  # no seconds left: everyone at its start
        added = await storage.reminder_book.plan_due(world.opens, world.kte, PERIOD, point)
        await tx.commit()
    assert added == 3
    at = datetime.fromtimestamp(SPAN.start, UTC)
    assert len((await _claim(storage, at)).reminders) == 3
