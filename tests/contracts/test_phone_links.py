"""Phone numbers linked with a one-time code, and the SMS door's answers once per message
(ADR 0026), through the use cases on each storage."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from komunalka.application.shared.ports import OutgoingMessage
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.errors import DomainError
from tests.fakes import FakeClock, kyiv
from tests.world import World, build_world

NOON = kyiv(2026, 11, 20, 12, 0)


class Codes:
    """Words the code SMS and remembers the last code (what the phone's owner would read)."""

    def __init__(self) -> None:
        self.last = ""

    def __call__(self, phone: str, code: str) -> OutgoingMessage:
        self.last = code
        return OutgoingMessage("sms", phone, "", f"code {code}")


async def _setup(storage: Any) -> tuple[World, Wiring, FakeClock]:
    world = await build_world(storage)
    clock = FakeClock(NOON)
    return world, Wiring.wire(storage, clock), clock


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_a_number_is_linked_by_the_code_sent_to_it(storage: Any) -> None:
    world, wiring, _ = await _setup(storage)
    codes = Codes()
    phone = await wiring.request_phone_code(world.resident, "050 111 22 33", codes)
    assert phone == "+380501112233" and re.fullmatch(r"\d{6}", codes.last)
    assert await wiring.resident_by_phone("+380501112233") is None  # not before the code
    assert await wiring.confirm_phone(world.resident, f" {codes.last} ") == phone
    owner = await wiring.resident_by_phone("380501112233")
    assert owner is not None and owner.resident_id == world.resident and owner.language == "uk"
    assert await wiring.resident_by_phone.phone_of(world.resident) == phone
    with pytest.raises(DomainError) as used:  # the code is spent
        await wiring.confirm_phone(world.resident, codes.last)
    assert used.value.code == "phone.no_code"


async def test_the_code_message_is_queued_with_the_code(storage: Any) -> None:
    world, wiring, _ = await _setup(storage)
    await wiring.request_phone_code(world.resident, "+380501112233", Codes())
    async with storage(write=True) as tx:
        claim = await storage.outbox.claim("w", 10, NOON, timedelta(minutes=1))
        await tx.commit()
    (message,) = [c.message for c in claim.messages]
    assert message.channel == "sms" and message.recipient == "+380501112233"
    assert message.body.startswith("code ")


async def test_a_bad_number_sends_nothing(storage: Any) -> None:
    world, wiring, _ = await _setup(storage)
    codes = Codes()
    with pytest.raises(DomainError) as bad:
        await wiring.request_phone_code(world.resident, "12345", codes)
    assert bad.value.code == "phone.invalid" and codes.last == ""


async def test_one_code_a_minute(storage: Any) -> None:
    world, wiring, clock = await _setup(storage)
    await wiring.request_phone_code(world.resident, "+380501112233", Codes())
    with pytest.raises(DomainError) as soon:
        await wiring.request_phone_code(world.resident, "+380501112233", Codes())
    assert soon.value.code == "phone.code_too_soon"
    clock.instant = NOON + timedelta(minutes=1)
    await wiring.request_phone_code(world.resident, "+380501112233", Codes())


async def test_wrong_codes_are_limited_and_then_the_code_is_gone(storage: Any) -> None:
    world, wiring, _ = await _setup(storage)
    codes = Codes()
    await wiring.request_phone_code(world.resident, "+380501112233", codes)
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(DomainError) as wrong:
            await wiring.confirm_phone(world.resident, _wrong(codes.last))
        assert wrong.value.code == "phone.wrong_code"
        assert wrong.value.violations[0].params == {"left": str(left)}
    with pytest.raises(DomainError) as gone:  # even the right one, now
        await wiring.confirm_phone(world.resident, codes.last)
    assert gone.value.code == "phone.no_code"
    assert await wiring.resident_by_phone("+380501112233") is None


async def test_an_expired_code_links_nothing(storage: Any) -> None:
    world, wiring, clock = await _setup(storage)
    codes = Codes()
    await wiring.request_phone_code(world.resident, "+380501112233", codes)
    clock.instant = NOON + timedelta(minutes=10)
    with pytest.raises(DomainError) as late:
        await wiring.confirm_phone(world.resident, codes.last)
    assert late.value.code == "phone.no_code"
    assert await wiring.resident_by_phone("+380501112233") is None


async def test_a_number_proven_by_another_resident_moves_to_them(storage: Any) -> None:
    world, wiring, _ = await _setup(storage)
    async with storage(write=True) as tx:
        other = await storage.residents.add("Олена", NOON)
        await tx.commit()
    for resident in (world.resident, other):
        codes = Codes()
        await wiring.request_phone_code(resident, "+380501112233", codes)
        await wiring.confirm_phone(resident, codes.last)
    owner = await wiring.resident_by_phone("+380501112233")
    assert owner is not None and owner.resident_id == other
    assert await wiring.resident_by_phone.phone_of(world.resident) is None


async def test_a_message_id_is_answered_once(storage: Any) -> None:
    _, wiring, _ = await _setup(storage)
    assert not await wiring.reply_by_sms.answered("gw-1")
    assert await wiring.reply_by_sms("gw-1", "+380501112233", "Прийнято")
    assert await wiring.reply_by_sms.answered("gw-1")
    assert not await wiring.reply_by_sms("gw-1", "+380501112233", "Прийнято")
    async with storage(write=True) as tx:
        claim = await storage.outbox.claim("w", 10, NOON, timedelta(minutes=1))
        await tx.commit()
    assert [c.message.body for c in claim.messages] == ["Прийнято"]
