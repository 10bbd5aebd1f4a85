"""The cabinet's profile use cases on SQLite and PostgreSQL: reminders only where they can
arrive and with consent (kept while the channel stays, cleared when reminders stop), every
change audited, a refused change changing nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from komunalka.adapters.db.tables import audit_log
from komunalka.application.identity.edit_profile import ProfileChange
from komunalka.application.shared.actors import Actor
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from tests.channels.pages import settings_for, wire
from tests.fakes import FakeClock, kyiv


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(kyiv(2026, 11, 20))


@pytest.fixture
def uc(uow, clock, database_url):
    return wire(uow, clock, settings_for(database_url))


async def audits(engine) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).select_from(audit_log)
        query = query.where(audit_log.c.action == "profile.update")
        return int((await conn.execute(query)).scalar_one())


async def resident(uc) -> tuple[int, Actor]:
    opened = await uc.sign_up("olena@example.com", "password-1", "Олена")
    return opened.subject_id, Actor.resident(opened.subject_id, Channel.WEB)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (ProfileChange("de", "none", False, ""), "cabinet.bad_language"),
        (ProfileChange("uk", "pigeon", True, ""), "cabinet.bad_reminder_channel"),
        (ProfileChange("uk", "telegram", True, ""), "cabinet.reminder_needs_telegram"),
        (ProfileChange("uk", "viber", True, ""), "cabinet.reminder_needs_viber"),
        (ProfileChange("uk", "email", True, "+380671234567"), "cabinet.reminder_needs_email"),
        (ProfileChange("uk", "sms", True, "olena@example.com"), "cabinet.reminder_needs_phone"),
        (ProfileChange("uk", "email", False, "olena@example.com"), "cabinet.consent_required"),
        (ProfileChange("uk", "none", False, "olena"), "cabinet.bad_contact"),
    ],
)
async def test_a_reminder_that_cannot_arrive_or_lacks_consent_is_refused(
    uc, engine, change: ProfileChange, code: str
) -> None:
    resident_id, actor = await resident(uc)
    with pytest.raises(DomainError) as refused:
        await uc.update_profile(actor, change)
    assert code in [v.code for v in refused.value.violations]
    view = await uc.get_profile(resident_id)
    assert view.profile.reminder_channel == "none"
    assert view.profile.contact == "olena@example.com"
    assert await audits(engine) == 0


async def test_consent_is_kept_while_the_channel_stays_and_cleared_when_reminders_stop(
    uc, engine, clock
) -> None:
    resident_id, actor = await resident(uc)
    given = clock.now()
    saved = await uc.update_profile(actor, ProfileChange("en", "email", True, "Olena@Example.com"))
    assert (saved.language, saved.contact, saved.reminder_consent_at) == (
        "en",
        "olena@example.com",
        given,
    )
    clock.instant = given + timedelta(days=3)
    again = await uc.update_profile(actor, ProfileChange("uk", "email", True, "olena@example.com"))
    assert again.reminder_consent_at == given
    phone = await uc.update_profile(actor, ProfileChange("uk", "sms", True, "067 123 45 67"))
    assert (phone.contact, phone.reminder_consent_at) == ("+380671234567", clock.now())
    off = await uc.update_profile(actor, ProfileChange("uk", "none", False, ""))
    assert off.reminder_consent_at is None
    assert (await uc.get_profile(resident_id)).profile == off
    assert await audits(engine) == 4


async def test_telegram_reminders_once_telegram_is_linked(uc, clock) -> None:
    identity = await uc.identify_resident(Channel.TELEGRAM, "4242", "Тарас")
    actor = Actor.resident(identity.resident_id, Channel.WEB)
    saved = await uc.update_profile(actor, ProfileChange("uk", "telegram", True, ""))
    assert saved.reminder_channel == "telegram"
    view = await uc.get_profile(identity.resident_id)
    assert [i.channel for i in view.messengers] == ["telegram"]
    assert view.accounts == []


async def test_the_suppliers_are_listed_by_name(uc) -> None:
    await uc.load_demo()
    names = [s.name for s in await uc.supplier_names()]
    assert names == sorted(names) and len(names) == 4
