"""Readings an operator takes for a caller, on SQLite and PostgreSQL: the readings, the
operator's note and how the caller was identified are stored together or not at all."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import pytest
from sqlalchemy import func, select

from komunalka.adapters.db.tables import audit_log, readings, submissions
from komunalka.application.readings.correct_reading import CorrectReading
from komunalka.application.readings.submit_readings import ReadingItem, SubmitReadings
from komunalka.application.shared.actors import Actor
from komunalka.application.staff.submit_for_caller import (
    IDENTIFIED,
    CallerRequest,
    CorrectForCaller,
    SubmitForCaller,
)
from komunalka.domain.services import Channel
from komunalka.domain.staff import StaffMember, StaffRole
from tests.fakes import FakeClock, kyiv
from tests.world import build_world

CLOCK = FakeClock(kyiv(2026, 11, 20))
CITY = StaffMember(1, "c@k.test", "C", StaffRole.CALL_CENTER)


class AuditThatFailsOn:
    """The real audit log, except that writing `action` fails after the row was written."""

    def __init__(self, real, action: str) -> None:
        self.real = real
        self.action = action

    async def record(
        self, actor: Actor, action: str, subject: str, details: Mapping[str, object], at: datetime
    ) -> None:
        await self.real.record(actor, action, subject, details, at)
        if action == self.action:
            raise ConnectionError("the audit log went away")


def submit_for_caller(uow, audit=None) -> SubmitForCaller:
    submit = SubmitReadings(uow, uow.submissions, uow.readings, CLOCK)
    return SubmitForCaller(
        uow, uow.account_search, uow.audit_trail, uow.meters, audit or uow.audit, CLOCK, submit
    )


def correct_for_caller(uow, audit=None) -> CorrectForCaller:
    submit = SubmitReadings(uow, uow.submissions, uow.readings, CLOCK)
    correct = CorrectReading(uow, uow.readings, uow.meters, CLOCK, submit)
    return CorrectForCaller(
        uow,
        uow.account_search,
        uow.audit_trail,
        uow.meters,
        uow.readings,
        audit or uow.audit,
        CLOCK,
        correct,
    )


async def account_of(uow, meter_id: int) -> int:
    async with uow():
        (context,) = await uow.meters.contexts([meter_id], lock=False)
    return context.account.id


async def stored(engine) -> tuple[int, int, list[tuple[str, str]]]:
    """Readings, submissions, and the audit log's (action, note) pairs."""
    async with engine.connect() as conn:
        count_readings = (await conn.execute(select(func.count()).select_from(readings))).scalar()
        count_submissions = (
            await conn.execute(select(func.count()).select_from(submissions))
        ).scalar()
        audit = await conn.execute(select(audit_log.c.action, audit_log.c.note))
        return int(count_readings or 0), int(count_submissions or 0), [tuple(r) for r in audit]


async def test_the_readings_note_and_identification_are_stored_together(uow, engine) -> None:
    world = await build_world(uow)
    request = CallerRequest(
        CITY, await account_of(uow, world.hot_water), Channel.PHONE, "meter_serial", "дзвінок"
    )
    readings_before, submissions_before, _ = await stored(engine)
    result = await submit_for_caller(uow)(request, [ReadingItem(world.hot_water, "117")])
    count, made, audit = await stored(engine)
    assert count == readings_before + 1 and made == submissions_before + 1
    assert ("readings.submit", "дзвінок") in audit and (IDENTIFIED, "дзвінок") in audit
    assert result.readings[0].receipt


async def test_a_failed_identification_record_leaves_no_reading(uow, engine) -> None:
    world = await build_world(uow)
    request = CallerRequest(
        CITY, await account_of(uow, world.hot_water), Channel.PHONE, "meter_serial", "дзвінок"
    )
    before = await stored(engine)
    failing = AuditThatFailsOn(uow.audit, IDENTIFIED)
    with pytest.raises(ConnectionError):
        await submit_for_caller(uow, failing)(request, [ReadingItem(world.hot_water, "117")])
    assert await stored(engine) == before


async def test_a_failed_identification_record_leaves_the_correction_undone(uow, engine) -> None:
    world = await build_world(uow)
    account = await account_of(uow, world.hot_water)
    request = CallerRequest(CITY, account, Channel.PHONE, "meter_serial", "дзвінок")
    first = await submit_for_caller(uow)(request, [ReadingItem(world.hot_water, "117")])
    before = await stored(engine)
    failing = AuditThatFailsOn(uow.audit, IDENTIFIED)
    with pytest.raises(ConnectionError):
        await correct_for_caller(uow, failing)(request, first.readings[0].receipt, "118")
    assert await stored(engine) == before
    corrected = await correct_for_caller(uow)(request, first.readings[0].receipt, "118")
    assert corrected.readings[0].corrected
    count, _, audit = await stored(engine)
    assert count == before[0] + 1 and audit.count((IDENTIFIED, "дзвінок")) == 2
