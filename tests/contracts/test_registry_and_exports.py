"""Contracts of the suppliers' bulk ports: the registry load, the export of a period's readings
(rows and CSV) and the meters nobody sent a reading for."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from komunalka.application.suppliers.formats import readings_csv
from komunalka.application.suppliers.ports import ExportRow, MergeCounts, NonSubmitter
from komunalka.domain.meters import Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus
from komunalka.domain.services import Channel
from komunalka.domain.windows import WindowRule
from tests.contracts.landing import land, registry_row
from tests.world import HOLDER, World, build_world

NOVEMBER = BillingPeriod(2026, 11)
APRIL = BillingPeriod(2026, 4)


async def _kte(storage: Any) -> dict[str, int]:
    async with storage(write=True) as tx:
        kte = await storage.suppliers.add(
            Supplier(0, "kte", "Київтеплоенерго", WindowRule.parse("5..-1"), r"\d{10}"),
            ["hot_water"],
        )
        await tx.commit()
    return {"kte": kte.id}


async def test_a_registry_lands_accounts_meters_and_readings_once_per_meter(storage: Any) -> None:
    suppliers = await _kte(storage)
    chunks = [
        [
            registry_row("1000001357", "HW1", holder="Старий Власник"),
            registry_row("1000001357", "HW1", values="999"),  # line 3 repeats line 2's meter
            registry_row("1000001357", "HW2", holder="Шевченко Тарас", district="Подільський"),
        ],
        [registry_row("1000002714", "HW1")],  # line 5: the meter landed by the first chunk
        [registry_row("1000002714", "HW3", status="replaced", period="", values="")],
    ]
    counts, duplicates = await land(storage, suppliers, chunks)
    assert duplicates == [3, 5]
    assert counts == MergeCounts(
        staged=5, duplicates=2, accounts=2, meters=3, readings=2, replaced=1
    )
    async with storage():
        account = await storage.accounts.by_number(suppliers["kte"], "1000001357")
        assert account is not None
        # the last row of an account wins
        assert (account.holder, account.district) == ("Шевченко Тарас", "Подільський")
        meters = await storage.meters.by_serials(suppliers["kte"], ["HW1", "HW2", "HW3"])
        by_serial = {m.serial: m for m in meters}
        assert by_serial["HW1"].account_id == account.id
        assert by_serial["HW3"].status.value == "replaced"
        history = await storage.readings.history(by_serial["HW1"].id, APRIL)
        assert [(r.value, r.channel, r.period) for r in history] == [
            (Decimal(100), Channel.REGISTRY, APRIL)
        ]


async def test_a_registry_listed_again_changes_what_changed_and_keeps_known_readings(
    storage: Any,
) -> None:
    suppliers = await _kte(storage)
    first = [registry_row("1000001357", "HW1"), registry_row("1000001358", "HW2")]
    await land(storage, suppliers, [first])
    async with storage():
        (before,) = await storage.meters.by_serials(suppliers["kte"], ["HW1"])
        (ctx,) = await storage.meters.contexts([before.id], lock=False)
    again = [
        registry_row("1000001357", "HW1", holder="Новий Власник", values="101", digits="6"),
        registry_row("1000001358", "HW2", period="2026-05", values="7"),
    ]
    counts, duplicates = await land(storage, suppliers, [again])
    # one account changed; both meters listed; April is known already, May is new
    assert (duplicates, counts) == ([], MergeCounts(2, 0, 1, 2, 1, 0))
    counts, _ = await land(storage, suppliers, [again])
    assert counts == MergeCounts(2, 0, 0, 0, 0, 0, unchanged=2)  # nothing changed, nothing new
    async with storage():
        (after,) = await storage.meters.contexts([before.id], lock=False)
        history = await storage.readings.history(before.id, APRIL)
    assert after.meter.digits == 6 and after.account.holder == "Новий Власник"
    assert after.revision == ctx.revision + 1  # moved on by the change alone (ADR 0022)
    assert [r.value for r in history] == [Decimal(100)]


AT = datetime(2026, 11, 20, 10, 15, 42, 500000, tzinfo=UTC)


async def _november(storage: Any, world: World) -> str:
    """A reading for each kind the export must tell apart; the receipt of the one it lists."""
    receipt = "2611-EXPO-RT01"
    readings = [
        Reading(world.hot_water, "T1", NOVEMBER, Decimal("117.5"), AT, Channel.TELEGRAM, receipt),
        Reading(
            world.stranger_meter,
            "T1",
            NOVEMBER,
            Decimal(12),
            AT,
            Channel.WEB,
            "2611-EXPO-RT02",
            status=ReadingStatus.SUPERSEDED,
        ),
        Reading(world.electricity, "day", NOVEMBER, Decimal(1100), AT, Channel.WEB, "2611-EL"),
        Reading(world.hot_water, "T1", BillingPeriod(2026, 12), Decimal(118), AT, Channel.WEB, ""),
    ]
    async with storage(write=True) as tx:
        await storage.readings.add(readings)
        await tx.commit()
    return receipt


async def test_the_export_lists_a_suppliers_accepted_readings_of_the_period(storage: Any) -> None:
    world = await build_world(storage)
    receipt = await _november(storage, world)
    expected = [
        ExportRow(
            "1000001357",
            "HW0011234",
            "hot_water",
            "T1",
            "2026-11",
            Decimal("117.500"),
            "2026-11-20 10:15:42",
            "telegram",
            receipt,
        )
    ]
    async with storage():
        rows = [
            row
            async for chunk in storage.queries.export_rows(world.kte.id, NOVEMBER)
            for row in chunk
        ]
        empty = [
            r
            async for c in storage.queries.export_rows(world.kte.id, BillingPeriod(2027, 1))
            for r in c
        ]
    assert rows == expected
    assert str(rows[0].value) == "117.500"  # with the meter's decimals
    assert empty == []


async def test_the_csv_export_is_the_same_text_on_every_storage(storage: Any) -> None:
    world = await build_world(storage)
    await _november(storage, world)
    written: list[bytes] = []

    async def sink(data: bytes) -> None:
        written.append(data)

    async with storage():
        await storage.queries.export_csv(world.kte.id, NOVEMBER, sink)
        rows = [
            r async for chunk in storage.queries.export_rows(world.kte.id, NOVEMBER) for r in chunk
        ]
    assert b"".join(written) == readings_csv(rows, header=True)
    assert b"".join(written).decode().splitlines() == [
        "account,serial,service,register,period,value,submitted_at_utc,channel,receipt",
        "1000001357,HW0011234,hot_water,T1,2026-11,117.500,2026-11-20 10:15:42,telegram,"
        "2611-EXPO-RT01",
    ]


async def test_non_submitters_are_active_meters_with_no_accepted_reading(storage: Any) -> None:
    world = await build_world(storage)
    await _november(storage, world)
    suppliers = {"kte": world.kte.id}
    address = "Київ, вул. Хрещатик, 1"
    retired = registry_row(
        "1000002714",
        "HW0033333",
        status="removed",
        holder="Коваленко Олена",
        address=address,
        period="",
        values="",
    )
    await land(storage, suppliers, [[retired]])
    async with storage():
        found = [n async for n in storage.queries.non_submitters(world.kte.id, NOVEMBER)]
    assert found == [
        NonSubmitter("1000001357", HOLDER, address, "HW0019999", "hot_water"),
        # its November reading was superseded: no accepted one
        NonSubmitter("1000002714", "Коваленко Олена", address, "HW0022222", "hot_water"),
    ]
