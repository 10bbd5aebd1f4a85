"""Signing in to the web doors, on SQLite and PostgreSQL: residents, staff, reset links, the
Telegram Login Widget, and the limits on wrong passwords."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from komunalka.adapters.db.tables import (
    one_time_tokens,
    outbox,
    sign_in_attempts,
    web_logins,
    web_sessions,
)
from komunalka.application.identity.ports import ResetTicket
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.logins import normalize_login
from komunalka.application.shared.ports import OutgoingMessage
from komunalka.channels.web.auth import ResetMessage
from komunalka.channels.web.telegram_login import telegram_login_valid, verified_telegram_user
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from komunalka.domain.staff import StaffRole
from tests.channels.pages import PASSWORDS, TELEGRAM_TOKEN, settings_for, wire
from tests.fakes import FakeClock, kyiv


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(kyiv(2026, 11, 20))


@pytest.fixture
def uc(uow, clock, database_url):
    return wire(uow, clock, settings_for(database_url))


async def reset(uc, login: str) -> None:
    """A password reset as the web door asks for one: the token and its message, worded by the
    door, to the outbox."""
    await uc.request_password_reset(login, ResetMessage("https://test", "en"))


async def count(engine, table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


@pytest.mark.parametrize(
    ("typed", "login"),
    [
        (" Olena@Example.COM ", "olena@example.com"),
        ("+380 67 123-45-67", "+380671234567"),
        ("067 123 45 67", "+380671234567"),
        ("(067) 1234567", "+380671234567"),
        ("380671234567", "+380671234567"),
    ],
)
def test_logins_are_normalized(typed: str, login: str) -> None:
    assert normalize_login(typed) == login


@pytest.mark.parametrize("typed", ["", "olena", "olena@", "@example.com", "12345", "+1 555 0100"])
def test_bad_logins_are_refused_with_a_code(typed: str) -> None:
    with pytest.raises(DomainError) as caught:
        normalize_login(typed)
    assert caught.value.code == "signin.bad_login"


async def test_sign_up_then_sign_in_and_the_session_resolves(uc, engine) -> None:
    opened = await uc.sign_up("olena@example.com", "correct horse", "Олена", "en")
    viewer = await uc.resolve_session(opened.token)
    assert viewer is not None
    assert viewer.subject_id == opened.subject_id
    assert viewer.profile.language == "en"
    again = await uc.sign_in("OLENA@example.com", "correct horse", "10.0.0.1")
    assert again.subject_id == opened.subject_id
    # only hashes are stored
    async with engine.connect() as conn:
        stored = (await conn.execute(select(web_logins.c.password_hash))).scalar_one()
        sessions = (await conn.execute(select(web_sessions.c.token_hash))).scalars().all()
    assert "correct horse" not in stored
    assert stored.startswith("$argon2id$")
    assert opened.token not in sessions
    assert hashlib.sha256(opened.token.encode()).hexdigest() in sessions


async def test_a_taken_login_or_weak_password_changes_nothing(uc, engine) -> None:
    await uc.sign_up("+380671234567", "correct horse", "Олена")
    with pytest.raises(DomainError) as taken:
        await uc.sign_up("067 123 45 67", "another pass", "Інша")
    assert taken.value.code == "signin.login_taken"
    with pytest.raises(DomainError) as weak:
        await uc.sign_up("new@example.com", "short", "Хтось")
    assert weak.value.code == "signin.weak_password"
    assert await count(engine, web_logins) == 1


async def test_wrong_passwords_are_limited_per_login_and_address(uc) -> None:
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    for _ in range(5):
        with pytest.raises(DomainError) as wrong:
            await uc.sign_in("olena@example.com", "wrong one!", "10.0.0.1")
        assert wrong.value.code == "signin.wrong"
    with pytest.raises(DomainError) as limited:
        await uc.sign_in("olena@example.com", "correct horse", "10.0.0.1")
    assert limited.value.code == "signin.too_many"
    assert (await uc.sign_in("olena@example.com", "correct horse", "10.0.0.2")).subject_id


async def test_an_unknown_login_answers_like_a_wrong_password(uc) -> None:
    with pytest.raises(DomainError) as caught:
        await uc.sign_in("nobody@example.com", "whatever1", "10.0.0.1")
    assert caught.value.code == "signin.wrong"


async def test_a_reset_link_works_once_and_ends_other_sessions(uc, engine, clock) -> None:
    first = await uc.sign_up("olena@example.com", "correct horse", "Олена")
    await reset(uc, "olena@example.com")
    await reset(uc, "nobody@example.com")
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox))).all()
    assert len(rows) == 1
    assert rows[0].recipient == "olena@example.com"
    token = re.search(r"/password/reset/(\S+)", rows[0].body).group(1)
    opened = await uc.reset_password(token, "a new password")
    assert opened.subject_id == first.subject_id
    assert await uc.resolve_session(first.token) is None
    assert await uc.resolve_session(opened.token) is not None
    assert (await uc.sign_in("olena@example.com", "a new password")).subject_id
    with pytest.raises(DomainError) as used:
        await uc.reset_password(token, "yet another one")
    assert used.value.code == "signin.reset_invalid"


async def test_a_reset_link_expires_after_an_hour(uc, engine, clock) -> None:
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    await reset(uc, "olena@example.com")
    async with engine.connect() as conn:
        body = (await conn.execute(select(outbox.c.body))).scalar_one()
    clock.instant += timedelta(minutes=61)
    token = re.search(r"/password/reset/(\S+)", body).group(1)
    with pytest.raises(DomainError) as expired:
        await uc.reset_password(token, "a new password")
    assert expired.value.code == "signin.reset_invalid"


async def test_a_reset_whose_message_the_database_refuses_leaves_no_token(uc, engine) -> None:
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    issued: list[ResetTicket] = []

    def unwritable(ticket: ResetTicket) -> OutgoingMessage:
        issued.append(ticket)
        # the outbox's body is NOT NULL: the database refuses the row, after the token's
        return OutgoingMessage(ticket.channel, ticket.recipient, "Reset", None)  # type: ignore[arg-type]

    with pytest.raises(IntegrityError):
        await uc.request_password_reset("olena@example.com", unwritable)
    for table in (one_time_tokens, outbox, sign_in_attempts):
        assert await count(engine, table) == 0, table.name
    with pytest.raises(DomainError) as invalid:
        await uc.reset_password(issued[0].token, "a new password")
    assert invalid.value.code == "signin.reset_invalid"
    assert (await uc.sign_in("olena@example.com", "correct horse")).subject_id


def _widget(fields: dict[str, str], token: str = TELEGRAM_TOKEN) -> dict[str, str]:
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    key = hashlib.sha256(token.encode()).digest()
    return {**fields, "hash": hmac.new(key, check.encode(), hashlib.sha256).hexdigest()}


async def test_telegram_login_widget_signs_in_the_bots_resident(uc, clock) -> None:
    when = str(int(clock.now().timestamp()) - 60)
    fields = _widget({"id": "4242", "first_name": "Іван", "auth_date": when})
    assert telegram_login_valid(fields, TELEGRAM_TOKEN)

    async def sign_in(fields: dict[str, str]):
        user = verified_telegram_user(fields, TELEGRAM_TOKEN, clock.now())
        return await uc.sign_in_with_telegram(user)

    opened = await sign_in(fields)
    # the bot knows the same person as the same resident
    identity = await uc.identify_resident(Channel.TELEGRAM, "4242", "Іван")
    assert identity.resident_id == opened.subject_id
    again = await sign_in(fields)
    assert again.subject_id == opened.subject_id
    forged = {**fields, "id": "4243"}
    with pytest.raises(DomainError) as bad:
        await sign_in(forged)
    assert bad.value.code == "signin.telegram_invalid"
    old = _widget({"id": "4242", "auth_date": str(int(clock.now().timestamp()) - 2 * 86400)})
    with pytest.raises(DomainError) as expired:
        await sign_in(old)
    assert expired.value.code == "signin.telegram_expired"


async def test_staff_roles_get_their_scope_and_deactivation_ends_sessions(uc) -> None:
    system = Actor.system()
    with pytest.raises(DomainError) as no_district:
        await uc.add_staff(system, None, "d@x", "Д", StaffRole.DISTRICT, "password1")
    assert no_district.value.code == "staff.district_required"
    admin = await uc.add_staff(system, None, "a@x", "А", StaffRole.ADMINISTRATOR, "password1")
    member = await uc.add_staff(
        system, None, "d@x", "Д", StaffRole.DISTRICT, "password1", district="Печерський"
    )
    with pytest.raises(DomainError) as not_admin:
        await uc.add_staff(
            Actor.resident(1, Channel.WEB),
            member,
            "e@x",
            "Е",
            StaffRole.CALL_CENTER,
            "password1",
        )
    assert not_admin.value.code == "staff.forbidden"
    opened = await uc.sign_in_staff("D@X", "password1")
    assert (await uc.resolve_session(opened.token)).staff.district == "Печерський"
    await uc.update_staff(
        system,
        admin,
        member.id,
        role=StaffRole.DISTRICT,
        district="Печерський",
        supplier_id=None,
        active=False,
    )
    assert await uc.resolve_session(opened.token) is None
    with pytest.raises(DomainError) as off:
        await uc.sign_in_staff("d@x", "password1")
    assert off.value.code == "signin.wrong"
    assert PASSWORDS.verify(PASSWORDS.hash("x" * 8), "x" * 8)


async def test_a_login_reading_like_an_existing_one_is_refused(uc) -> None:
    await uc.sign_up("capc@example.com", "correct horse", "Олена")
    with pytest.raises(DomainError) as refused:
        await uc.sign_up("\u0441\u0430\u0440\u0441@example.com", "correct horse", "Інша")
    assert refused.value.code == "signin.login_lookalike"
    system = Actor.system()
    await uc.add_staff(system, None, "admin@x.ua", "А", StaffRole.ADMINISTRATOR, "password1")
    with pytest.raises(DomainError) as staff:
        await uc.add_staff(
            system, None, "admin@\u0445.ua", "Б", StaffRole.ADMINISTRATOR, "pass1234"
        )
    assert staff.value.code == "signin.login_lookalike"
