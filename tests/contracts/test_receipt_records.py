"""Contract of ReceiptRecords (receipt_ports.py): a receipt's record as the storage holds it —
the supplier's code, the account's number, the meter's serial and decimals, the reading's
period, zone, value, time and channel, and its status — the same from the fake and both
databases, so a record signed from one checks against the others."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from komunalka.application.readings.receipt_ports import HeldReceipt
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus
from komunalka.domain.services import Channel
from tests.fakes import kyiv
from tests.world import build_world

AT = kyiv(2026, 11, 20, 14, 5, 6)


async def test_records_are_found_by_receipt_number_whatever_their_status(storage: Any) -> None:
    world = await build_world(storage)
    async with storage(write=True) as tx:
        await storage.readings.add(
            [
                Reading(
                    world.hot_water,
                    "T1",
                    BillingPeriod(2026, 11),
                    Decimal("117.5"),
                    AT,
                    Channel.TELEGRAM,
                    "2611-AAAA-0001",
                ),
                Reading(
                    world.electricity,
                    "night",
                    BillingPeriod(2026, 11),
                    Decimal(600),
                    AT,
                    Channel.WEB,
                    "2611-AAAA-0002",
                    status=ReadingStatus.SUPERSEDED,
                ),
            ]
        )
        await tx.commit()
    async with storage():
        found: list[HeldReceipt] = await storage.receipt_records.by_receipts(
            ["2611-AAAA-0001", "2611-AAAA-0002", "2611-NONE-0000"]
        )
        nothing = await storage.receipt_records.by_receipts([])
    assert nothing == []
    held = {h.record.receipt: h for h in found}
    assert set(held) == {"2611-AAAA-0001", "2611-AAAA-0002"}
    water = held["2611-AAAA-0001"]
    assert water.record.canonical() == (
        b"komunalka-receipt/1\n"
        b"receipt=2611-AAAA-0001\n"
        b"supplier=kte\n"
        b"account=1000001357\n"
        b"meter=HW0011234\n"
        b"period=2026-11\n"
        b"register=T1\n"
        b"value=117.500\n"
        b"time=2026-11-20T12:05:06Z\n"
        b"channel=telegram\n"
    )
    assert (water.status, water.supplier_name, water.meter_id) == (
        ReadingStatus.ACCEPTED,
        "Київтеплоенерго",
        world.hot_water,
    )
    night = held["2611-AAAA-0002"]
    assert night.status is ReadingStatus.SUPERSEDED
    assert b"supplier=yasno\naccount=3000917\nmeter=EL0011111\n" in night.record.canonical()
    assert b"register=night\nvalue=600\n" in night.record.canonical()
