"""A small world of suppliers, accounts, meters and history, built through ports so the same
builder fills the in-memory fakes and the real databases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from komunalka.domain.meters import Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, new_receipt
from komunalka.domain.registry import parse_registry_row
from komunalka.domain.services import Channel
from komunalka.domain.windows import WindowRule

HOLDER = "Шевченко Тарас Григорович"


@dataclass
class World:
    kte: Supplier
    yasno: Supplier
    resident: int
    hot_water: int  # m3, 5 digits, 3 decimals, history up to 2026-10, linked
    electricity: int  # day|night|total zones, 6 digits, linked (yasno)
    stranger_meter: int  # another resident's hot-water meter
    overdue: int  # hot water meter past verification, linked
    account_number: str = "1000001357"
    serial: str = "HW0011234"


async def build_world(uow: Any, today: date = date(2026, 11, 20)) -> World:
    """kte (5..-1) and yasno (-2..3); the resident has linked account 1000001357."""
    async with uow(write=True) as u:
        kte = await uow.suppliers.add(
            Supplier(0, "kte", "Київтеплоенерго", WindowRule.parse("5..-1"), r"\d{10}"),
            ["hot_water"],
        )
        yasno = await uow.suppliers.add(
            Supplier(0, "yasno", "YASNO", WindowRule.parse("-2..3"), r"\d{7}"), ["electricity"]
        )
        resident = await uow.residents.add("Тарас", datetime.now().astimezone())
        await u.commit()
    later = today + timedelta(days=1000)
    rows = [
        _row("kte", "1000001357", HOLDER, "HW0011234", "hot_water", "T1", 5, 3, "100|", later),
        _row(
            "kte",
            "1000001357",
            HOLDER,
            "HW0019999",
            "hot_water",
            "T1",
            5,
            3,
            "50|",
            today - timedelta(days=3),
        ),
        _row(
            "yasno",
            "3000917",
            HOLDER,
            "EL0011111",
            "electricity",
            "day|night|total",
            6,
            0,
            "1000|500|1500",
            later,
        ),
        _row(
            "kte",
            "1000002714",
            "Коваленко Олена",
            "HW0022222",
            "hot_water",
            "T1",
            5,
            3,
            "10|",
            later,
        ),
    ]
    async with uow(write=True) as u:
        suppliers = {"kte": kte.id, "yasno": yasno.id}
        from komunalka.application.suppliers.ports import StagedRow
        from tests.contracts.landing import land_chunks

        chunk = []
        for line, raw in enumerate(rows, start=2):
            parsed = parse_registry_row(raw)
            assert not isinstance(parsed, list), parsed
            chunk.append(StagedRow(line, suppliers[parsed.supplier], parsed))
        await land_chunks(uow.registry, [chunk], datetime.now().astimezone())
        meters = {}
        for sid in suppliers.values():
            for m in await uow.meters.by_serials(
                sid, ["HW0011234", "HW0019999", "EL0011111", "HW0022222"]
            ):
                meters[m.serial] = m
        account = await uow.accounts.by_number(kte.id, "1000001357")
        el_account = await uow.accounts.by_number(yasno.id, "3000917")
        assert account and el_account
        await uow.accounts.link(resident, account.id, "surname", datetime.now().astimezone())
        await uow.accounts.link(resident, el_account.id, "surname", datetime.now().astimezone())
        # history: 2026-05 .. 2026-10 for the linked hot water meter, +2.5 m3 a month
        history = [
            Reading(
                meters["HW0011234"].id,
                "T1",
                BillingPeriod(2026, m),
                Decimal(100) + Decimal("2.5") * (m - 4),
                datetime(2026, m, 10).astimezone(),
                Channel.WEB,
                new_receipt(BillingPeriod(2026, m)),
            )
            for m in range(5, 11)
        ]
        await uow.readings.add(history)
        await u.commit()
    return World(
        kte,
        yasno,
        resident,
        meters["HW0011234"].id,
        meters["EL0011111"].id,
        meters["HW0022222"].id,
        meters["HW0019999"].id,
    )


def _row(
    supplier: str,
    account: str,
    holder: str,
    serial: str,
    service: str,
    registers: str,
    digits: int,
    decimals: int,
    values: str,
    due: date,
) -> dict[str, str]:
    zones = registers.split("|")
    vals = [v for v in values.split("|") if v] if values else []
    return {
        "supplier": supplier,
        "account": account,
        "holder": holder,
        "address": "Київ, вул. Хрещатик, 1",
        "district": "Шевченківський",
        "service": service,
        "serial": serial,
        "registers": registers,
        "digits": str(digits),
        "decimals": str(decimals),
        "verification_due": due.isoformat(),
        "status": "active",
        "period": "2026-04" if len(vals) == len(zones) else "",
        "values": "|".join(vals) if len(vals) == len(zones) else "",
    }
