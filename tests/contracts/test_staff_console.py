"""Contracts of the staff console's ports: account search within a scope, the audit log read
back as the audit trail, and the supplier catalogue."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from komunalka.application.identity.ports import ResidentProfile
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.ports import Conflict
from komunalka.application.staff.ports import AccountScope, SupplierRecord
from komunalka.domain.meters import Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading
from komunalka.domain.services import Channel
from komunalka.domain.windows import WindowRule
from tests.contracts.landing import land, registry_row

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)
ALL = AccountScope()
PHONE = "+380501234567"


async def _suppliers(storage: Any) -> dict[str, int]:
    async with storage(write=True) as tx:
        kte = await storage.suppliers.add(
            Supplier(0, "kte", "Київтеплоенерго", WindowRule.parse("5..-1"), r"\d{10}"),
            ["hot_water"],
        )
        yasno = await storage.suppliers.add(
            Supplier(0, "yasno", "YASNO", WindowRule.parse("-2..3"), r"\d{7}"), ["electricity"]
        )
        await tx.commit()
    return {"kte": kte.id, "yasno": yasno.id}


async def _town(storage: Any) -> dict[str, int]:
    """Four accounts: three of kte's (two in Pechersk), one of YASNO's; their ids by number."""
    suppliers = await _suppliers(storage)
    rows = [
        registry_row("1000001357", "HW1"),
        registry_row(
            "1000001358",
            "HW2",
            holder="шевчук Ольга",
            address="Київ, 5, ХРЕЩАТИК",
            district="Печерський",
        ),
        registry_row(
            "1000013570",
            "HW3",
            holder="Коваленко Олена",
            address="Київ, 7, вул. Лесі Українки",
            district="Печерський",
        ),
        registry_row(
            "1000001",
            "EL1",
            supplier="yasno",
            service="electricity",
            registers="day|night",
            digits="6",
            decimals="0",
            values="10|5",
            holder="Шевченко Тарас",
            address="Київ, 9, вул. Хрещатик",
        ),
    ]
    await land(storage, suppliers, [rows])
    found = {}
    async with storage():
        for number in ("1000001357", "1000001358", "1000013570"):
            account = await storage.accounts.by_number(suppliers["kte"], number)
            found[number] = account.id
        account = await storage.accounts.by_number(suppliers["yasno"], "1000001")
        found["1000001"] = account.id
        found["kte"] = suppliers["kte"]
    return found


def numbers(accounts: list[Any]) -> list[str]:
    return [a.number for a in accounts]


async def test_an_account_is_found_by_id_with_its_district(storage: Any) -> None:
    town = await _town(storage)
    async with storage():
        found = await storage.account_search.account(town["1000001358"])
        assert found is not None
        assert (found.number, found.holder, found.address, found.district) == (
            "1000001358",
            "шевчук Ольга",
            "Київ, 5, ХРЕЩАТИК",
            "Печерський",
        )
        assert await storage.account_search.account(town["1000001358"] + 1000) is None


async def test_accounts_are_found_by_number_prefix_an_exact_match_first(storage: Any) -> None:
    town = await _town(storage)
    search = storage.account_search
    async with storage():
        assert numbers(await search.by_number("1000001", ALL, 10)) == [
            "1000001",
            "1000001357",
            "1000001358",
        ]
        assert numbers(await search.by_number("1000001", ALL, 1)) == ["1000001"]
        kte = AccountScope(supplier_id=town["kte"])
        assert numbers(await search.by_number("1000001", kte, 10)) == ["1000001357", "1000001358"]
        pechersk = AccountScope(district="Печерський")
        assert numbers(await search.by_number("10000", pechersk, 10)) == [
            "1000001358",
            "1000013570",
        ]
        assert await search.by_number("2", ALL, 10) == []


async def test_accounts_are_found_by_every_word_of_the_address_in_any_case(storage: Any) -> None:
    town = await _town(storage)
    search = storage.account_search
    async with storage():
        assert numbers(await search.by_address(["хрещатик"], ALL, 10)) == [
            "1000001357",
            "1000001358",
            "1000001",
        ]
        assert numbers(await search.by_address(["ХРЕЩАТИК", "5"], ALL, 10)) == ["1000001358"]
        assert numbers(await search.by_address(["лесі", "УКРАЇНКИ"], ALL, 10)) == ["1000013570"]
        kte = AccountScope(supplier_id=town["kte"])
        assert numbers(await search.by_address(["Хрещатик"], kte, 1)) == ["1000001357"]
        assert await search.by_address(["хрещатик", "лесі"], ALL, 10) == []


async def test_accounts_are_found_by_the_start_of_the_holders_name(storage: Any) -> None:
    await _town(storage)
    search = storage.account_search
    async with storage():
        assert numbers(await search.by_surname("ШЕВ", ALL, 10)) == [
            "1000001",
            "1000001357",
            "1000001358",
        ]
        pechersk = AccountScope(district="Печерський")
        assert numbers(await search.by_surname("шев", pechersk, 10)) == ["1000001358"]
        assert await search.by_surname("ченко", ALL, 10) == []  # the start only
        assert numbers(await search.by_surname("коваленко о", ALL, 10)) == ["1000013570"]


async def test_accounts_are_found_by_a_residents_login_or_contact_phone(storage: Any) -> None:
    town = await _town(storage)
    async with storage(write=True) as tx:
        by_login = await storage.residents.add("Тарас", AT)
        by_contact = await storage.residents.add("Ольга", AT)
        other = await storage.residents.add("Олена", AT)
        await storage.web_logins.add(by_login, PHONE, "hash", AT)
        await storage.profiles.save(ResidentProfile(by_contact, contact=PHONE))
        await storage.profiles.save(ResidentProfile(other, contact="+380670000000"))
        await storage.accounts.link(by_login, town["1000001"], "serial", AT)
        await storage.accounts.link(by_login, town["1000001357"], "serial", AT)
        await storage.accounts.link(by_contact, town["1000001358"], "serial", AT)
        await storage.accounts.link(other, town["1000013570"], "serial", AT)
        await tx.commit()
    search = storage.account_search
    async with storage():
        # by supplier, then number: kte's accounts come before YASNO's
        assert numbers(await search.by_phone(PHONE, ALL, 10)) == [
            "1000001357",
            "1000001358",
            "1000001",
        ]
        assert numbers(await search.by_phone(PHONE, AccountScope("Печерський"), 10)) == [
            "1000001358"
        ]
        assert numbers(await search.by_phone(PHONE, ALL, 2)) == ["1000001357", "1000001358"]
        assert await search.by_phone("+380990000000", ALL, 10) == []


OPERATOR = Actor(ActorKind.OPERATOR, 7, Channel.WEB, on_behalf_of=3, note="за дзвінком")


async def test_the_audit_trail_reads_back_what_the_audit_log_recorded(storage: Any) -> None:
    town = await _town(storage)
    account = town["1000001357"]
    async with storage():
        (meter,) = await storage.meters.of_accounts([account])
    submission = 424242
    reading = Reading(
        meter.id, "T1", BillingPeriod(2026, 11), Decimal(117), AT, Channel.WEB, "2611-AAAA-BBBB"
    )
    log = storage.audit
    async with storage(write=True) as tx:
        await storage.readings.add([replace(reading, submission_id=submission)])
        await log.record(OPERATOR, "account.viewed", f"account:{account}", {}, AT)
        await log.record(
            OPERATOR,
            "meter.changed",
            f"meter:{meter.id}",
            {"due": date(2031, 1, 1), "value": Decimal("1.50"), "n": 2},
            AT,
        )
        await log.record(Actor.system(), "readings.submit", f"submission:{submission}", {}, AT)
        await log.record(OPERATOR, "account.viewed", f"account:{town['1000001358']}", {}, AT)
        await log.record(OPERATOR, "account.linked", f"account:{account}", {"proof": "x"}, AT)
        await tx.commit()
    async with storage():
        trail = await storage.audit_trail.trail(account, [meter.id], 10)
        assert [(e.action, e.subject) for e in trail] == [
            ("account.linked", f"account:{account}"),
            ("readings.submit", f"submission:{submission}"),
            ("meter.changed", f"meter:{meter.id}"),
            ("account.viewed", f"account:{account}"),
        ]
        assert [e.action for e in await storage.audit_trail.trail(account, [meter.id], 2)] == [
            "account.linked",
            "readings.submit",
        ]
        changed = trail[2]
        assert (changed.actor_kind, changed.actor_id, changed.channel, changed.note) == (
            "operator",
            7,
            "web",
            "за дзвінком",
        )
        assert changed.at == AT
        # details come back as JSON keeps them: what JSON has no type for, as text
        assert dict(changed.details) == {"due": "2031-01-01", "value": "1.50", "n": 2}
        system = trail[1]
        assert (system.actor_kind, system.actor_id) == ("system", None)
        viewed = await storage.audit_trail.entries(f"account:{account}", "account.viewed")
        assert [(e.subject, e.details) for e in viewed] == [(f"account:{account}", {})]
        assert await storage.audit_trail.entries(f"account:{account}", "account.gone") == []


async def test_the_trail_names_whom_an_entry_was_for_and_an_account_its_residents(
    storage: Any,
) -> None:
    town = await _town(storage)
    account, other = town["1000001357"], town["1000001358"]
    async with storage(write=True) as tx:
        petrenko = await storage.residents.add("Петренко Марія", AT)
        ivanenko = await storage.residents.add("Іваненко Олег", AT)
        for resident in (ivanenko, petrenko):
            await storage.accounts.link(resident, account, "serial", AT)
        await storage.accounts.link(petrenko, other, "serial", AT)
        for_her = replace(OPERATOR, on_behalf_of=petrenko)
        await storage.audit.record(for_her, "account.viewed", f"account:{account}", {}, AT)
        await storage.audit.record(
            replace(OPERATOR, on_behalf_of=None), "x", f"account:{account}", {}, AT
        )
        await tx.commit()
    async with storage():
        assert await storage.account_search.linked_residents(account) == sorted(
            [petrenko, ivanenko]
        )
        assert await storage.account_search.linked_residents(other) == [petrenko]
        assert await storage.account_search.linked_residents(town["1000013570"]) == []
        trail = await storage.audit_trail.trail(account, [], 10)
        assert [(e.on_behalf_of, e.on_behalf_name) for e in trail] == [
            (None, ""),
            (petrenko, "Петренко Марія"),
        ]


GAS = Supplier(0, "gas", "Газ", WindowRule.parse("1..5", "Europe/Warsaw"), r"\d{11}")


async def test_the_catalogue_adds_suppliers_with_their_services(storage: Any) -> None:
    async with storage(write=True) as tx:
        gas = await storage.supplier_catalog.add_supplier(GAS, ["gas"])
        water = await storage.supplier_catalog.add_supplier(
            Supplier(0, "water", "Вода", WindowRule.parse("-2..3"), r"\d{8}"),
            ["cold_water", "hot_water"],
        )
        await tx.commit()
    async with storage():
        found = await storage.supplier_catalog.supplier(gas)
        assert found == SupplierRecord(Supplier(gas, "gas", "Газ", GAS.window, r"\d{11}"), ("gas",))
        assert found.supplier.window.timezone == "Europe/Warsaw"
        records = await storage.supplier_catalog.suppliers()
        assert [(r.supplier.id, r.services) for r in records] == [
            (gas, ("gas",)),
            (water, ("cold_water", "hot_water")),
        ]
        assert await storage.supplier_catalog.supplier(water + 1000) is None
        assert await storage.suppliers.by_code("water") == records[1].supplier


async def test_the_catalogue_refuses_a_code_taken_already(storage: Any) -> None:
    async with storage(write=True) as tx:
        gas = await storage.supplier_catalog.add_supplier(GAS, ["gas"])
        water = await storage.supplier_catalog.add_supplier(
            Supplier(0, "water", "Вода", WindowRule.parse("-2..3"), r"\d{8}"), ["hot_water"]
        )
        await tx.commit()
    with pytest.raises(Conflict):
        async with storage(write=True):
            await storage.supplier_catalog.add_supplier(GAS, ["electricity"])
    taken = Supplier(water, "gas", "Вода", WindowRule.parse("-2..3"), r"\d{8}")
    with pytest.raises(Conflict):
        async with storage(write=True):
            await storage.supplier_catalog.update_supplier(taken, ["hot_water"])
    async with storage():
        assert [r.supplier.code for r in await storage.supplier_catalog.suppliers()] == [
            "gas",
            "water",
        ]
        found = await storage.supplier_catalog.supplier(gas)
        assert found is not None and found.services == ("gas",)


async def test_the_catalogue_updates_a_supplier_and_its_services(storage: Any) -> None:
    async with storage(write=True) as tx:
        gas = await storage.supplier_catalog.add_supplier(GAS, ["gas"])
        await tx.commit()
    changed = Supplier(gas, "naftogaz", "Нафтогаз", WindowRule.parse("1..10,25..-1"), r"\d{12}")
    async with storage(write=True) as tx:
        await storage.supplier_catalog.update_supplier(changed, ["gas", "heating"])
        await tx.commit()
    async with storage():
        assert await storage.supplier_catalog.supplier(gas) == SupplierRecord(
            changed, ("gas", "heating")
        )
        assert await storage.suppliers.get(gas) == changed
