"""The SMS door's commands over the use cases on each storage (ADR 0026): two zones, a warning
confirmed with "!", a meter the account has two of; HTTP and the gateway are tested in
tests/channels/test_sms.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from komunalka.application.shared.ports import OutgoingMessage
from komunalka.bootstrap.wiring import Wiring
from komunalka.channels.sms.door import SmsDoor
from komunalka.channels.sms.use_cases import SmsUseCases
from tests.fakes import FakeClock, kyiv
from tests.world import World, build_world

PHONE = "+380501112233"
# YASNO's window (-2..3) is open on the 29th; Kyivteploenergo's (5..-1) too.
LATE = kyiv(2026, 11, 29, 12, 0)


async def _setup(storage: Any) -> tuple[World, Wiring, SmsDoor]:
    world = await build_world(storage)
    wiring = Wiring.wire(storage, FakeClock(LATE))
    code = ""

    def compose(phone: str, sent: str) -> OutgoingMessage:
        nonlocal code
        code = sent
        return OutgoingMessage("sms", phone, "", sent)

    await wiring.request_phone_code(world.resident, PHONE, compose)
    await wiring.confirm_phone(world.resident, code)
    return world, wiring, SmsDoor(wiring.door(SmsUseCases), "https://k.test")


async def _answers(storage: Any) -> list[str]:
    async with storage(write=True) as tx:
        claim = await storage.outbox.claim("w", 100, LATE, timedelta(minutes=1))
        await tx.commit()
    bodies = [c.message.body for c in claim.messages if c.message.recipient == PHONE]
    return [b for b in bodies if not b.isdigit()]  # not the linking code


async def test_a_two_zone_meter_takes_day_and_night(storage: Any) -> None:
    _, _, door = await _setup(storage)
    await door.receive("z-1", PHONE, "3000917 1100 550")
    (answer,) = await _answers(storage)
    assert answer.startswith("Прийнято:") and "1100, 550" in answer.replace("\u202f", "")


async def test_a_warning_is_answered_and_confirmed_with_an_exclamation_mark(storage: Any) -> None:
    _, _, door = await _setup(storage)
    await door.receive("w-1", PHONE, "1000001357 125")  # four times the usual month: a jump
    await door.receive("w-2", PHONE, "1000001357 125!")
    warned, accepted = await _answers(storage)
    assert "!" in warned and not warned.startswith("Прийнято")
    assert accepted.startswith("Прийнято:") and "125" in accepted
