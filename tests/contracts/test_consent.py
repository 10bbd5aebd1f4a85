"""Contracts of consent on shared accounts: who is linked to an account, where each resident is
told things, and who cares for whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from komunalka.application.accounts.ports import NoticeAddress
from komunalka.application.identity.ports import Identity, ResidentProfile
from tests.world import build_world

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


async def test_the_residents_of_an_account_come_in_the_order_they_linked(storage: Any) -> None:
    world = await build_world(storage)
    async with storage(write=True) as tx:
        account = await storage.accounts.by_number(world.kte.id, "1000002714")
        olena = await storage.residents.add("Олена Ткаченко", AT)
        petro = await storage.residents.add("Петро Коваль", AT)
        await storage.accounts.link(petro, account.id, "surname", AT + timedelta(hours=1))
        await storage.accounts.link(olena, account.id, "serial", AT)
        await tx.commit()
    async with storage():
        linked = await storage.account_residents.of_account(account.id)
        assert [(r.resident_id, r.name, r.linked_at) for r in linked] == [
            (olena, "Олена Ткаченко", AT),
            (petro, "Петро Коваль", AT + timedelta(hours=1)),
        ]
        assert await storage.account_residents.names([petro, 999999]) == {petro: "Петро Коваль"}
        assert await storage.account_residents.of_account(999999) == []


async def test_a_resident_is_told_where_they_chose_else_a_messenger_else_their_login(
    storage: Any,
) -> None:
    async with storage(write=True) as tx:
        ids = [await storage.residents.add(f"R{i}", AT) for i in range(6)]
        by_login, by_telegram, by_viber, by_sms, nowhere, chose_viber = ids
        await storage.web_logins.add(by_login, "r0@example.com", "h", AT)
        await storage.identities.add(Identity("telegram", "100", by_telegram, "en", False), AT)
        await storage.web_logins.add(by_telegram, "r1@example.com", "h", AT)
        await storage.identities.add(Identity("telegram", "200", by_viber, "uk", False), AT)
        await storage.identities.add(Identity("viber", "v200", by_viber, "uk", False), AT)
        await storage.reminder_book.mark_unreachable("telegram", "200", AT)  # blocked the bot
        await storage.identities.add(Identity("telegram", "300", by_sms, "uk", False), AT)
        await storage.profiles.save(ResidentProfile(by_sms, "en", "sms", AT, "+380671234567"))
        await storage.identities.add(Identity("telegram", "500", chose_viber, "uk", True), AT)
        await storage.identities.add(Identity("viber", "v500", chose_viber, "uk", True), AT)
        await storage.profiles.save(ResidentProfile(chose_viber, "en", "viber", AT, ""))
        await tx.commit()
    async with storage():
        found = await storage.account_residents.notice_addresses(ids)
    assert found == {
        by_login: NoticeAddress("email", "r0@example.com", "uk"),
        by_telegram: NoticeAddress("telegram", "100", "en"),
        by_viber: NoticeAddress("viber", "v200", "uk"),
        by_sms: NoticeAddress("sms", "+380671234567", "en"),
        chose_viber: NoticeAddress("viber", "v500", "en"),
    }
    assert nowhere not in found


async def test_a_caretaking_is_active_once_per_pair_until_ended(storage: Any) -> None:
    async with storage(write=True) as tx:
        mother = await storage.residents.add("Ганна Мельник", AT)
        son = await storage.residents.add("Іван Мельник", AT)
        assert await storage.caretakers.start(mother, son, AT)
        assert not await storage.caretakers.start(mother, son, AT + timedelta(hours=1))
        await tx.commit()
    async with storage():
        assert await storage.caretakers.is_active(mother, son)
        assert not await storage.caretakers.is_active(son, mother)
        (mine,) = await storage.caretakers.of_resident(mother)
        assert (mine.caretaker_id, mine.caretaker_name, mine.started_at) == (
            son,
            "Іван Мельник",
            AT,
        )
        (theirs,) = await storage.caretakers.cared_for_by(son)
        assert (theirs.resident_id, theirs.resident_name) == (mother, "Ганна Мельник")
        assert await storage.caretakers.of_resident(son) == []
    async with storage(write=True) as tx:
        assert not await storage.caretakers.end(son, mother, AT)
        assert await storage.caretakers.end(mother, son, AT + timedelta(days=1))
        assert not await storage.caretakers.end(mother, son, AT + timedelta(days=1))
        await tx.commit()
    async with storage(write=True) as tx:
        assert not await storage.caretakers.is_active(mother, son)
        assert await storage.caretakers.cared_for_by(son) == []
        assert await storage.caretakers.start(mother, son, AT + timedelta(days=2))  # again
        await tx.commit()
    async with storage():
        (again,) = await storage.caretakers.of_resident(mother)
        assert again.started_at == AT + timedelta(days=2)
