"""Consent on shared accounts and caretakers against the fakes: who is told of a new link and
how, removing a co-resident's link, and caretakers' codes and actors."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from komunalka.application.accounts.caretakers import normalize_code, shown_code
from komunalka.application.accounts.link_account import LinkAccountRequest
from komunalka.application.identity.ports import Identity
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import mask_name
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, InMemoryStore, kyiv
from tests.world import World, build_world

NOW = kyiv(2026, 11, 20, 18)


@pytest.fixture
async def world() -> tuple[InMemoryStore, World, Any, int]:
    store = InMemoryStore()
    world = await build_world(store)
    async with store(write=True) as tx:
        newcomer = await store.residents.add("Олена Ткаченко", NOW)
        await store.identities.add(Identity("telegram", "42", world.resident, "en", False), NOW)
        await tx.commit()
    return store, world, Wiring.wire(store, FakeClock(NOW), web_url="https://k.test"), newcomer


def link(resident: int, number: str = "1000001357", proof: str = "Шев") -> LinkAccountRequest:
    return LinkAccountRequest(Actor.resident(resident, Channel.WEB), number, proof=proof)


def queued(store: InMemoryStore) -> list[Any]:
    return [row.message for row in store.state.outbox.values()]


def test_a_name_is_masked_to_three_letters_and_initials() -> None:
    assert mask_name("Олена Ткаченко") == "Оле** Т."
    assert mask_name("Шевченко Тарас Григорович") == "Шев***** Т. Г."
    assert mask_name("Ян") == "Ян" and mask_name("  ") == ""


async def test_a_new_link_is_told_to_the_earlier_resident_in_their_language_only(world) -> None:
    store, _, uses, olena = world
    await uses.link_account(link(olena))
    (message,) = queued(store)
    assert (message.channel, message.recipient) == ("telegram", "42")
    assert message.subject == "Someone else linked your account"
    assert message.body.startswith("Оле** Т. linked account 1000001357 (Київтеплоенерго)")
    assert "on 20.11.2026 18:00" in message.body and "https://k.test/profile" in message.body


async def test_a_checked_failed_or_repeated_link_tells_nobody(world) -> None:
    store, _, uses, olena = world
    await uses.link_account(replace(link(olena), check_only=True))
    with pytest.raises(DomainError):
        await uses.link_account(link(olena, proof="Ков"))
    assert queued(store) == []
    await uses.link_account(link(olena))
    await uses.link_account(link(olena))  # linked already
    assert len(queued(store)) == 1


async def test_only_a_resident_of_the_account_removes_anothers_link(world) -> None:
    store, w, uses, olena = world
    await uses.link_account(link(olena))
    account = (await uses.co_residents(w.resident))[0].account
    with pytest.raises(DomainError, match=r"link.not_linked"):  # not theirs to remove
        await uses.remove_co_resident(Actor.resident(999, Channel.WEB), account.id, olena)
    with pytest.raises(DomainError, match=r"link.not_linked"):  # one's own: UnlinkAccount
        await uses.remove_co_resident(Actor.resident(olena, Channel.WEB), account.id, olena)
    shared = await uses.co_residents(olena)
    assert [(o.resident_id, o.masked_name) for o in shared[0].others] == [(w.resident, "Тар**")]
    await uses.remove_co_resident(Actor.resident(w.resident, Channel.WEB), account.id, olena)
    assert (olena, account.id) not in store.state.links
    assert store.state.audit[-1][1:3] == ("account.link_removed", f"account:{account.id}")
    assert await uses.co_residents(olena) == []


def test_codes_read_as_people_type_them() -> None:
    assert normalize_code(" abcde-fghjk ") == "ABCDEFGHJK"
    assert normalize_code("OIL 12") == "01112"
    assert shown_code("ABCDEFGHJK") == "ABCDE-FGHJK"


async def test_a_caretaker_acts_for_the_resident_only_while_the_care_lasts(world) -> None:
    store, w, uses, olena = world
    resident = Actor.resident(w.resident, Channel.WEB)
    caretaker = Actor.resident(olena, Channel.TELEGRAM)
    invitation = await uses.invite_caretaker(resident)
    person = await uses.accept_caretaking(caretaker, invitation.code)
    assert person.resident_id == w.resident
    acting = await uses.act_for(caretaker, w.resident)
    assert acting == Actor(ActorKind.RESIDENT, olena, Channel.TELEGRAM, w.resident)
    with pytest.raises(DomainError, match=r"link.resident_required"):  # not for themselves
        await uses.invite_caretaker(acting)
    with pytest.raises(DomainError, match=r"care.not_found"):  # the other way round
        await uses.act_for(resident, olena)
    await uses.end_caretaking(resident, olena)
    with pytest.raises(DomainError, match=r"care.not_found"):
        await uses.act_for(caretaker, w.resident)
    told = [m.subject for m in queued(store)]
    # the resident reads English in Telegram; Olena has no channel at all: nobody to tell her
    assert told == ["A caretaker now sends readings for you"]


async def test_a_code_expires_and_works_once(world) -> None:
    _, w, uses, olena = world
    resident = Actor.resident(w.resident, Channel.WEB)
    caretaker = Actor.resident(olena, Channel.WEB)
    late = await uses.invite_caretaker(resident)
    uses.clock.instant = NOW + timedelta(hours=48)
    with pytest.raises(DomainError, match=r"care.code_invalid"):
        await uses.accept_caretaking(caretaker, late.code)
    fresh = await uses.invite_caretaker(resident)
    await uses.accept_caretaking(caretaker, fresh.code)
    await uses.end_caretaking(caretaker, w.resident)
    with pytest.raises(DomainError, match=r"care.code_invalid"):
        await uses.accept_caretaking(caretaker, fresh.code)
    assert (await uses.show_caretaking(olena)).cared_for == []
