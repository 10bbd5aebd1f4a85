"""Contracts of the suppliers', accounts', meters' and readings' repositories."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from komunalka.domain.meters import Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus, new_receipt
from komunalka.domain.services import Channel, Service
from komunalka.domain.windows import WindowRule
from tests.world import build_world

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


async def test_suppliers_are_found_by_id_and_code_once_added(storage: Any) -> None:
    async with storage(write=True) as tx:
        added = await storage.suppliers.add(
            Supplier(0, "gas", "Газ", WindowRule.parse("1..5"), r"\d{11}"), ["gas"]
        )
        await tx.commit()
    assert added.id > 0
    async with storage() as tx:
        assert await storage.suppliers.get(added.id) == added
        assert await storage.suppliers.by_code("gas") == added
        assert await storage.suppliers.by_code("nope") is None
        assert await storage.suppliers.get(added.id + 1000) is None
        assert [s.code for s in await storage.suppliers.all()] == ["gas"]


async def test_what_is_not_committed_is_not_kept(storage: Any) -> None:
    async with storage(write=True):
        await storage.suppliers.add(
            Supplier(0, "gas", "Газ", WindowRule.parse("1..5"), r"\d{11}"), ["gas"]
        )
    async with storage():
        assert await storage.suppliers.all() == []


async def test_accounts_link_once_and_unlink(storage: Any) -> None:
    world = await build_world(storage)
    async with storage(write=True) as tx:
        account = await storage.accounts.by_number(world.kte.id, "1000002714")
        assert account is not None and account.holder == "Коваленко Олена"
        assert await storage.accounts.by_number(world.yasno.id, "1000002714") is None
        assert not await storage.accounts.is_linked(world.resident, account.id)
        assert await storage.accounts.link(world.resident, account.id, "serial", AT)
        assert not await storage.accounts.link(world.resident, account.id, "serial", AT)
        assert await storage.accounts.is_linked(world.resident, account.id)
        linked = {a.number for a in await storage.accounts.linked_to(world.resident)}
        assert linked == {"1000001357", "3000917", "1000002714"}
        assert await storage.accounts.unlink(world.resident, account.id)
        assert not await storage.accounts.unlink(world.resident, account.id)
        await tx.commit()
    async with storage():
        assert not await storage.accounts.is_linked(world.resident, account.id)


async def test_meters_by_account_serial_and_with_their_context(storage: Any) -> None:
    world = await build_world(storage)
    async with storage() as tx:
        account = await storage.accounts.by_number(world.kte.id, "1000001357")
        assert account is not None
        meters = await storage.meters.of_accounts([account.id])
        assert {m.serial for m in meters} == {"HW0011234", "HW0019999"}
        found = await storage.meters.by_serials(world.kte.id, ["HW0011234", "EL0011111", "x"])
        assert [m.serial for m in found] == ["HW0011234"]
        contexts = await storage.meters.contexts(
            [world.electricity, world.stranger_meter], lock=False, resident_id=world.resident
        )
        by_meter = {c.meter.id: c for c in contexts}
        assert set(by_meter) == {world.electricity, world.stranger_meter}
        assert by_meter[world.electricity].linked
        assert not by_meter[world.stranger_meter].linked
        assert by_meter[world.electricity].supplier.code == "yasno"
        assert by_meter[world.electricity].meter.registers == ("day", "night", "total")
        assert by_meter[world.stranger_meter].account.number == "1000002714"
        del tx


async def test_readings_are_kept_by_meter_register_and_receipt(storage: Any) -> None:
    world = await build_world(storage)
    november = BillingPeriod(2026, 11)
    receipt = new_receipt(november)
    reading = Reading(
        world.hot_water, "T1", november, Decimal("117.5"), AT, Channel.TELEGRAM, receipt
    )
    async with storage(write=True) as tx:
        await storage.readings.add([reading])
        await tx.commit()
    async with storage():
        recent = await storage.readings.recent([world.hot_water], BillingPeriod(2026, 10))
        values = [r.value for r in recent[(world.hot_water, "T1")]]
        assert values == [Decimal("115"), Decimal("117.5")]
        found = await storage.readings.by_receipt(receipt)
        assert found is not None
        assert (found.meter_id, found.value, found.channel) == (
            world.hot_water,
            Decimal("117.5"),
            Channel.TELEGRAM,
        )
        assert found.status is ReadingStatus.ACCEPTED
        assert await storage.readings.by_receipt("no-such-receipt") is None
        history = await storage.readings.history(world.hot_water, BillingPeriod(2026, 9))
        assert [r.period for r in history] == [
            BillingPeriod(2026, 9),
            BillingPeriod(2026, 10),
            november,
        ]
        assert await storage.readings.recent([world.electricity], november) == {}


async def test_residents_identities_and_tokens(storage: Any) -> None:
    from komunalka.application.identity.ports import Identity

    async with storage(write=True) as tx:
        first = await storage.residents.add("Олена", AT)
        second = await storage.residents.add("Петро", AT)
        identity = Identity("telegram", "42", first, "uk", False)
        await storage.identities.add(identity, AT)
        await storage.identities.update(Identity("telegram", "42", first, "en", True))
        await storage.tokens.add(first, "hash-1", "cli", AT)
        await tx.commit()
    async with storage(write=True) as tx:
        assert await storage.residents.exists(second)
        assert not await storage.residents.exists(second + 1000)
        assert await storage.identities.get("telegram", "42") == Identity(
            "telegram", "42", first, "en", True
        )
        assert await storage.identities.get("viber", "42") is None
        await storage.identities.reassign("telegram", "42", second)
        assert await storage.tokens.resident_for("hash-1") == first
        assert await storage.tokens.revoke("hash-1", AT) == first
        assert await storage.tokens.revoke("hash-1", AT) is None
        assert await storage.tokens.resident_for("hash-1") is None
        await tx.commit()
    async with storage():
        moved = await storage.identities.get("telegram", "42")
        assert moved is not None and moved.resident_id == second


async def test_link_attempts_count_failures_per_resident_and_per_account(storage: Any) -> None:
    world = await build_world(storage)
    async with storage(write=True) as tx:
        other = await storage.residents.add("Інший", AT)
        for minutes, resident, number, success in [
            (120, world.resident, "1000002714", False),  # before the window
            (30, world.resident, "1000002714", False),
            (20, world.resident, "1000009999", False),
            (10, world.resident, "1000002714", True),  # a success is no failure
            (5, other, "1000002714", False),
        ]:
            at = AT - timedelta(minutes=minutes)
            await storage.link_attempts.add(resident, world.kte.id, number, success, at)
        await tx.commit()
    async with storage():
        since = AT - timedelta(hours=1)
        attempts = await storage.link_attempts.failures_since(
            world.resident, world.kte.id, "1000002714", since, since
        )
        assert (attempts.by_resident, attempts.by_account) == (2, 2)


async def test_media_is_kept_until_forgotten(storage: Any) -> None:
    async with storage(write=True) as tx:
        await storage.media.add("old", b"\x89PNG old", "image/png", AT - timedelta(days=2))
        await storage.media.add("new", b"\x89PNG new", "image/png", AT)
        await tx.commit()
    async with storage(write=True) as tx:
        assert await storage.media.get("new", AT - timedelta(hours=1)) == (
            b"\x89PNG new",
            "image/png",
        )
        assert await storage.media.get("old", AT - timedelta(hours=1)) is None
        await storage.media.forget_before(AT - timedelta(days=1))
        await tx.commit()
    async with storage():
        assert await storage.media.get("old", AT - timedelta(days=3)) is None
        assert await storage.media.get("new", AT - timedelta(days=3)) is not None


async def test_tariffs_per_supplier(storage: Any) -> None:
    from komunalka.domain.tariffs import Tariff

    world = await build_world(storage)
    tariff = Tariff(world.yasno.id, Service.ELECTRICITY, Decimal("4.32"), date(2024, 6, 1), "night")
    async with storage(write=True) as tx:
        await storage.tariffs.add(tariff)
        await tx.commit()
    async with storage():
        assert await storage.tariffs.of_supplier(world.yasno.id) == [tariff]
        assert await storage.tariffs.of_supplier(world.kte.id) == []


async def test_a_residents_meter_list_holds_their_readings_and_when_asked_the_tariffs(
    storage: Any,
) -> None:
    from komunalka.domain.tariffs import Tariff

    world = await build_world(storage)
    day = Tariff(world.yasno.id, Service.ELECTRICITY, Decimal("4.32"), date(2024, 6, 1), "day")
    async with storage(write=True) as tx:
        await storage.tariffs.add(day)
        await tx.commit()
    async with storage(autocommit=True):
        listed = await storage.meter_list.linked(
            world.resident, BillingPeriod(2026, 8), tariffs=True
        )
        bare = await storage.meter_list.linked(world.resident, BillingPeriod(2026, 8))
    serials = [c.meter.serial for c in listed]
    assert sorted(serials) == ["EL0011111", "HW0011234", "HW0019999"]
    assert [c.meter.id for c in listed] == sorted(c.meter.id for c in listed)
    assert all(c.linked for c in listed)
    by_serial = {c.meter.serial: c for c in listed}
    hot = by_serial["HW0011234"]
    assert [(str(r.period), r.value) for r in hot.history["T1"]] == [
        ("2026-08", Decimal("110")),
        ("2026-09", Decimal("112.5")),
        ("2026-10", Decimal("115")),
    ]
    assert by_serial["EL0011111"].history == {} and by_serial["HW0019999"].history == {}
    assert by_serial["EL0011111"].tariffs == [day]
    assert by_serial["HW0011234"].tariffs == [] and by_serial["HW0019999"].tariffs == []
    assert [c.meter.serial for c in bare] == serials
    assert all(c.tariffs is None for c in bare)
    assert [c.history for c in bare] == [c.history for c in listed]
    # A tariff added is in the very next list: nothing is kept between lists.
    night = replace(day, zone="night", price=Decimal("2.16"), effective_from=date(2025, 1, 1))
    async with storage(write=True) as tx:
        await storage.tariffs.add(night)
        await tx.commit()
    async with storage(autocommit=True):
        again = await storage.meter_list.linked(
            world.resident, BillingPeriod(2026, 8), tariffs=True
        )
    assert {c.meter.serial: c.tariffs for c in again}["EL0011111"] == [day, night]


async def test_a_meters_water_heater_flag_is_written_and_read_back(storage: Any) -> None:
    world = await build_world(storage)
    async with storage(write=True) as tx:
        await storage.meters.set_water_heater(world.hot_water, True)
        await tx.commit()
    async with storage() as tx:
        [context] = await storage.meters.contexts([world.hot_water], lock=False)
        assert context.meter.water_heater is True
        [one, *_] = await storage.meters.contexts([world.hot_water, world.overdue], lock=False)
        assert one.meter.water_heater is True
        mine = {
            m.id: m.water_heater for m in await storage.meters.of_accounts([context.account.id])
        }
        assert mine == {world.hot_water: True, world.overdue: False}
        [by_serial] = await storage.meters.by_serials(world.kte.id, [world.serial])
        assert by_serial.water_heater is True
    async with storage(write=True) as tx:
        await storage.meters.set_water_heater(world.hot_water, False)
        await tx.commit()
    async with storage() as tx:
        [context] = await storage.meters.contexts([world.hot_water], lock=False)
        assert context.meter.water_heater is False
