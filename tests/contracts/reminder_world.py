"""Residents to remind (and some not to), built through the storage's ports so the same world
fills the fake and both databases: the reminders' contracts start from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from komunalka.application.identity.ports import Identity, ResidentProfile
from komunalka.domain.meters import Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, new_receipt
from komunalka.domain.reminders import ReminderRule, RuleKind, SendSpan, epoch
from komunalka.domain.services import Channel
from komunalka.domain.windows import WindowRule
from tests.contracts.landing import land, registry_row

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)
NOVEMBER = BillingPeriod(2026, 11)
PERIOD = NOVEMBER.index
SPAN = SendSpan(epoch(AT), 36_000)

# account number -> (serial, supplier code, status, verification due)
METERS = {
    "1000000001": ("HW0000001", "kte", "active", "2026-12-15"),
    "1000000002": ("HW0000002", "kte", "active", "2026-12-20"),
    "1000000003": ("HW0000003", "kte", "active", "2030-01-01"),
    "1000000004": ("HW0000004", "kte", "removed", "2026-12-01"),
    "1000000005": ("HW0000005", "kte", "active", "2030-01-01"),
    "1000000006": ("HW0000006", "kte", "active", "2027-01-10"),
    "3000001": ("EL0000001", "yasno", "active", "2026-12-01"),
}


@dataclass
class Residents:
    """Who is who: the first three are due for kte's November, the rest are not."""

    email: int  # two due accounts of kte (1, 2), English
    sms: int  # account 5
    telegram: int  # two Telegram identities; accounts 1 and 6
    sent: int  # account 3, its reading for November sent
    no_consent: int
    no_channel: int
    empty_contact: int
    unreachable: int  # Viber, its one identity reported unreachable
    inactive: int  # only a removed meter (account 4)
    other_supplier: int  # only yasno's account


@dataclass
class ReminderWorld:
    kte: int
    yasno: int
    opens: int  # kte's rule ids
    before_close: int
    residents: Residents
    meters: dict[str, int]  # by serial


async def _resident(
    storage: Any, name: str, channel: str, contact: str = "", consent: bool = True, lang: str = "uk"
) -> int:
    resident = int(await storage.residents.add(name, AT))
    at = AT if consent else None
    await storage.profiles.save(ResidentProfile(resident, lang, channel, at, contact))
    return resident


async def build_reminder_world(storage: Any) -> ReminderWorld:
    async with storage(write=True) as tx:
        kte = await storage.suppliers.add(
            Supplier(0, "kte", "Київтеплоенерго", WindowRule.parse("5..-1"), r"\d{10}"),
            ["hot_water"],
        )
        yasno = await storage.suppliers.add(
            Supplier(0, "yasno", "YASNO", WindowRule.parse("-2..3"), r"\d{7}"), ["hot_water"]
        )
        await tx.commit()
    rows = [
        registry_row(number, serial, supplier=code, status=status, verification_due=due)
        for number, (serial, code, status, due) in METERS.items()
    ]
    await land(storage, {"kte": kte.id, "yasno": yasno.id}, [rows])
    async with storage(write=True) as tx:
        r = Residents(
            email=await _resident(storage, "Олена", "email", "olena@example.com", lang="en"),
            sms=await _resident(storage, "Петро", "sms", "+380501234567"),
            telegram=await _resident(storage, "Тарас", "telegram"),
            sent=await _resident(storage, "Ірина", "email", "iryna@example.com"),
            no_consent=await _resident(storage, "Андрій", "email", "a@example.com", False),
            no_channel=await _resident(storage, "Марія", "none"),
            empty_contact=await _resident(storage, "Ганна", "email"),
            unreachable=await _resident(storage, "Богдан", "viber"),
            inactive=await _resident(storage, "Олег", "email", "oleh@example.com"),
            other_supplier=await _resident(storage, "Ольга", "email", "olha@example.com"),
        )
        for channel, external_id, resident in (
            ("telegram", "222", r.telegram),
            ("telegram", "111", r.telegram),
            ("viber", "v1", r.unreachable),
            ("viber", "v2", r.no_channel),
        ):
            await storage.identities.add(Identity(channel, external_id, resident, "uk", True), AT)
        links = {
            r.email: ["1000000001", "1000000002"],
            r.sms: ["1000000005"],
            r.telegram: ["1000000001", "1000000006"],
            r.sent: ["1000000003"],
            r.no_consent: ["1000000005"],
            r.no_channel: ["1000000005"],
            r.empty_contact: ["1000000005"],
            r.unreachable: ["1000000005"],
            r.inactive: ["1000000004"],
        }
        for resident, numbers in links.items():
            for number in numbers:
                await _link(storage, resident, kte.id, number)
        await _link(storage, r.other_supplier, yasno.id, "3000001")
        meters = {
            m.serial: m.id
            for supplier in (kte.id, yasno.id)
            for m in await storage.meters.by_serials(supplier, [s for s, *_ in METERS.values()])
        }
        receipt = new_receipt(NOVEMBER)
        sent = Reading(meters["HW0000003"], "T1", NOVEMBER, Decimal(120), AT, Channel.WEB, receipt)
        await storage.readings.add([sent])
        await storage.reminder_book.mark_unreachable("viber", "v1", AT)
        opens = await storage.reminder_rules.save(ReminderRule(kte.id, RuleKind.OPENS))
        before = await storage.reminder_rules.save(ReminderRule(kte.id, RuleKind.BEFORE_CLOSE, 3))
        await tx.commit()
    assert opens.id and before.id
    return ReminderWorld(kte.id, yasno.id, opens.id, before.id, r, meters)


async def _link(storage: Any, resident: int, supplier_id: int, number: str) -> None:
    account = await storage.accounts.by_number(supplier_id, number)
    assert account is not None, number
    assert await storage.accounts.link(resident, account.id, "serial", AT)


async def plan(storage: Any, world: ReminderWorld, rule_id: int | None = None) -> int:
    async with storage(write=True) as tx:
        added = await storage.reminder_book.plan_due(
            rule_id or world.opens, world.kte, PERIOD, SPAN
        )
        await tx.commit()
    return int(added)


async def counts(storage: Any, world: ReminderWorld) -> dict[int, dict[str, int]]:
    async with storage() as tx:
        found = await storage.reminder_book.counts(world.kte, PERIOD)
        await tx.commit()
    return dict(found)
