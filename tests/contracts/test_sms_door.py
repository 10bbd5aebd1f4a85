"""The SMS door's commands over the use cases on each storage (ADR 0026): two zones, a warning
confirmed with "!", a meter the account has two of named by its serial's end; HTTP and the
gateway are tested in tests/channels/test_sms.py."""

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


async def _add_meter(storage: Any, world: World, serial: str) -> None:
    """Another open hot-water meter on the resident's account 1000001357."""
    from datetime import date

    from komunalka.application.suppliers.ports import StagedRow
    from komunalka.domain.registry import parse_registry_row
    from tests.contracts.landing import land_chunks
    from tests.world import HOLDER, _row

    raw = _row(
        "kte", "1000001357", HOLDER, serial, "hot_water", "T1", 5, 3, "110|", date(2029, 1, 1)
    )
    parsed = parse_registry_row(raw)
    assert not isinstance(parsed, list), parsed
    async with storage(write=True) as tx:
        await land_chunks(storage.registry, [[StagedRow(2, world.kte.id, parsed)]], LATE)
        await tx.commit()


async def test_an_account_with_several_meters_names_one_by_its_serials_end(storage: Any) -> None:
    world, _, door = await _setup(storage)
    await _add_meter(storage, world, "HW0015555")
    await door.receive("n-1", PHONE, "1000001357 117")  # which one?
    await door.receive("n-2", PHONE, "1000001357 №7777 117")  # none of them
    await door.receive("n-3", PHONE, "1000001357 № 1234 117")  # HW0011234
    await door.receive("n-4", PHONE, "1000001357 #5555 112")  # HW0015555
    await door.receive("n-5", PHONE, "1000001357 №9999 52")  # past its verification
    which, none, first, second, overdue = await _answers(storage)
    assert which.startswith("На рахунку 1000001357 кілька лічильників:")
    assert "Гаряча вода №1234, Гаряча вода №5555" in which
    assert "наприклад: 1000001357 №1234 117" in which and "https://k.test/readings" in which
    assert "немає лічильника з номером, що закінчується на 7777" in none
    assert "№1234" in none and "№9999" in none and "№5555" in none
    assert first.startswith("Прийнято:") and "117" in first
    assert second.startswith("Прийнято:") and "112" in second
    assert not overdue.startswith("Прийнято") and "повір" in overdue


async def test_a_meter_named_badly_is_answered_and_stores_nothing(storage: Any) -> None:
    world, wiring, door = await _setup(storage)
    await _add_meter(storage, world, "HW0015555")
    before = await wiring.list_my_meters(world.resident)
    for n, text in enumerate(
        ["1000001357 №12$4 117", "1000001357 № 117", "1000001357 №", "1000001357 №7777 117"]
    ):
        await door.receive(f"g-{n}", PHONE, text)
    *syntax, none = await _answers(storage)
    assert [a.startswith("Надішліть: <рахунок> <показник>") for a in syntax] == [True] * 3
    assert "№<кінець номера лічильника>" in syntax[0]
    assert "немає лічильника з номером, що закінчується на 7777" in none
    assert await wiring.list_my_meters(world.resident) == before
