"""Contracts of sign-in's repositories (logins, staff, sessions, attempts, one-time tokens),
residents' profiles (the outbox: test_outbox.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from komunalka.application.identity.ports import Identity, ResidentProfile, WebSession
from komunalka.application.shared.ports import Conflict
from komunalka.domain.staff import StaffMember, StaffRole

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


async def _resident(storage: Any, name: str = "Олена") -> int:
    async with storage(write=True) as tx:
        resident = int(await storage.residents.add(name, AT))
        await tx.commit()
    return resident


async def test_web_logins_are_unique_and_keep_their_password(storage: Any) -> None:
    resident = await _resident(storage)
    async with storage(write=True) as tx:
        login_id = await storage.web_logins.add(resident, "olena@example.com", "h1", AT)
        await tx.commit()
    with pytest.raises(Conflict):
        async with storage(write=True) as tx:
            await storage.web_logins.add(resident, "olena@example.com", "h2", AT)
    async with storage(write=True) as tx:
        await storage.web_logins.set_password(resident, "h3")
        await tx.commit()
    async with storage():
        found = await storage.web_logins.by_login("olena@example.com")
        assert found is not None
        assert (found.id, found.resident_id, found.password_hash) == (login_id, resident, "h3")
        assert [w.login for w in await storage.web_logins.of_resident(resident)] == [
            "olena@example.com"
        ]
        assert await storage.web_logins.by_login("nobody@example.com") is None


async def test_staff_members_are_added_found_and_updated(storage: Any) -> None:
    member = StaffMember(0, "op@komunalka.test", "Оператор", StaffRole.DISTRICT, "Подільський")
    async with storage(write=True) as tx:
        staff_id = await storage.staff.add(member, "hash", AT)
        await tx.commit()
    with pytest.raises(Conflict):
        async with storage(write=True) as tx:
            await storage.staff.add(member, "other", AT)
    changed = StaffMember(
        staff_id, "op@komunalka.test", "Оператор", StaffRole.CALL_CENTER, active=False
    )
    async with storage(write=True) as tx:
        await storage.staff.update(changed)
        await tx.commit()
    async with storage():
        record = await storage.staff.get(staff_id)
        assert record is not None
        assert (record.member, record.password_hash) == (changed, "hash")
        assert await storage.staff.by_login("op@komunalka.test") == record
        assert await storage.staff.all() == [changed]
        assert await storage.staff.get(staff_id + 1000) is None
    async with storage(write=True) as tx:
        await storage.staff.update(changed, "new-hash")
        await tx.commit()
    async with storage():
        record = await storage.staff.get(staff_id)
        assert record is not None and record.password_hash == "new-hash"


async def test_sessions_live_until_they_expire_or_are_removed(storage: Any) -> None:
    later = AT + timedelta(hours=8)
    async with storage(write=True) as tx:
        for token, kind, subject in [("a", "resident", 1), ("b", "resident", 1), ("c", "staff", 1)]:
            await storage.web_sessions.add(WebSession(token, kind, subject, later), AT)
        await storage.web_sessions.add(WebSession("d", "resident", 2, AT), AT - timedelta(days=1))
        await tx.commit()
    async with storage(write=True) as tx:
        assert await storage.web_sessions.live("a", AT) == WebSession("a", "resident", 1, later)
        assert await storage.web_sessions.live("a", later + timedelta(seconds=1)) is None
        assert await storage.web_sessions.live("d", AT + timedelta(seconds=1)) is None
        await storage.web_sessions.remove("a")
        await storage.web_sessions.remove_all("resident", 1)
        await storage.web_sessions.forget_before(AT + timedelta(minutes=1))
        await tx.commit()
    async with storage():
        assert await storage.web_sessions.live("a", AT) is None
        assert await storage.web_sessions.live("b", AT) is None
        assert await storage.web_sessions.live("c", AT) is not None  # staff, another kind


async def test_sign_in_attempts_count_failures_since(storage: Any) -> None:
    async with storage(write=True) as tx:
        for minutes, key, success in [(90, "k", False), (30, "k", False), (20, "k", True)]:
            await storage.sign_in_attempts.add(key, success, AT - timedelta(minutes=minutes))
        await storage.sign_in_attempts.add("other", False, AT)
        await tx.commit()
    async with storage():
        assert await storage.sign_in_attempts.failures_since("k", AT - timedelta(hours=1)) == 1
        assert await storage.sign_in_attempts.failures_since("k", AT - timedelta(hours=2)) == 2
        assert await storage.sign_in_attempts.failures_since("none", AT) == 0
        assert await storage.sign_in_attempts.succeeded_since("k", AT - timedelta(minutes=25))
        assert not await storage.sign_in_attempts.succeeded_since("k", AT - timedelta(minutes=15))
        assert not await storage.sign_in_attempts.succeeded_since("other", AT - timedelta(days=1))


async def test_a_one_time_token_is_used_once_for_its_purpose_before_it_expires(
    storage: Any,
) -> None:
    async with storage(write=True) as tx:
        await storage.one_time_tokens.add("t1", "reset", 7, AT + timedelta(hours=1))
        await storage.one_time_tokens.add("t2", "reset", 8, AT)
        await storage.one_time_tokens.add("t3", "reset", 9, AT + timedelta(hours=1))
        await tx.commit()
    async with storage(write=True) as tx:
        assert await storage.one_time_tokens.use("t1", "other", AT) is None
        assert await storage.one_time_tokens.use("t1", "reset", AT) == 7
        assert await storage.one_time_tokens.use("t1", "reset", AT) is None
        assert await storage.one_time_tokens.use("t2", "reset", AT + timedelta(seconds=1)) is None
        assert await storage.one_time_tokens.use("nope", "reset", AT) is None
        await tx.commit()

    async def use() -> int | None:
        async with storage(write=True) as tx:
            subject = await storage.one_time_tokens.use("t3", "reset", AT)
            await tx.commit()
            return subject  # type: ignore[no-any-return]

    assert sorted(await asyncio.gather(use(), use()), key=str) == [9, None]


async def test_profiles_are_saved_whole_with_the_residents_messengers(storage: Any) -> None:
    resident = await _resident(storage)
    profile = ResidentProfile(resident, "en", "email", AT, "olena@example.com")
    async with storage(write=True) as tx:
        assert await storage.profiles.get(resident) is None
        await storage.profiles.save(profile)
        await storage.identities.add(Identity("viber", "v1", resident, "uk", True), AT)
        await storage.identities.add(Identity("telegram", "t1", resident, "uk", False), AT)
        await tx.commit()
    async with storage(write=True) as tx:
        assert await storage.profiles.get(resident) == profile
        await storage.profiles.save(ResidentProfile(resident))
        await tx.commit()
    async with storage():
        assert await storage.profiles.get(resident) == ResidentProfile(resident)
        channels = [i.channel for i in await storage.profiles.identities_of(resident)]
        assert channels == ["telegram", "viber"]
