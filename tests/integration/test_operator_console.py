"""The operator console's use cases on SQLite and PostgreSQL: the search's scope and letter case,
the account card's trail, readings for a caller and the supplier rules an administrator saves."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import insert

from komunalka.adapters.db.staff import any_case_pattern
from komunalka.adapters.db.tables import accounts
from komunalka.application.readings.submit_readings import ReadingItem
from komunalka.application.staff.find_accounts import SearchKind
from komunalka.application.staff.manage_suppliers import SupplierForm
from komunalka.application.staff.submit_for_caller import CallerRequest
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from komunalka.domain.staff import StaffMember, StaffRole
from tests.channels.pages import settings_for, wire
from tests.fakes import FakeClock, kyiv

CITY = StaffMember(1, "c@k.test", "C", StaffRole.CALL_CENTER)
ADMIN = StaffMember(2, "a@k.test", "A", StaffRole.ADMINISTRATOR)


@pytest.fixture
async def uc(uow, database_url):
    use_cases = wire(uow, FakeClock(kyiv(2026, 11, 20)), settings_for(database_url))
    demo = await use_cases.load_demo()
    return use_cases, demo


def test_the_any_case_pattern_folds_cyrillic_and_tames_punctuation() -> None:
    assert any_case_pattern("Лук'ян 1") == "[лЛ][уУ][кК].[яЯ][нН] 1"
    assert any_case_pattern("a+b") == "[aA].[bB]"


async def test_an_address_matches_in_any_case_and_any_apostrophe(uc) -> None:
    use_cases, demo = uc
    m = next(m for m in demo.meters if "Лук'янівська" in m.address)
    for typed in ("ЛУК’ЯНІВСЬКА", "лукʼянівська", "Лук'янівська"):
        found = await use_cases.find_accounts(CITY, SearchKind.ADDRESS, typed)
        assert m.account in [a.number for a in found.accounts], typed


async def test_a_district_operator_never_gets_another_district(uc) -> None:
    use_cases, demo = uc
    district = demo.meters[0].district
    member = StaffMember(3, "d@k.test", "D", StaffRole.DISTRICT, district=district)
    found = await use_cases.find_accounts(member, SearchKind.NUMBER, "1")
    assert found.accounts and all(a.district == district for a in found.accounts)
    everyone = await use_cases.find_accounts(
        member, SearchKind.SURNAME, demo.meters[0].holder[:3].lower()
    )
    assert everyone.accounts and all(a.district == district for a in everyone.accounts)
    away = next(m for m in demo.meters if m.district != district)
    outside = await use_cases.find_accounts(CITY, SearchKind.NUMBER, away.account)
    with pytest.raises(DomainError) as caught:
        await use_cases.view_account(member, outside.accounts[0].id)
    assert caught.value.code == "operator.account_not_found"


async def test_searches_are_capped_and_say_so(uc, engine) -> None:
    use_cases, _ = uc
    # the demo has exactly the cap (50 accounts): one more makes the search overflow
    async with engine.begin() as conn:
        await conn.execute(
            insert(accounts).values(
                supplier_id=1, number="1999999999", holder="Нова Н. Н.", address="Київ, 1"
            )
        )
    found = await use_cases.find_accounts(CITY, SearchKind.ADDRESS, "Київ")
    assert len(found.accounts) == 50 and found.more


async def test_the_automatic_search_puts_surnames_before_addresses(uc, engine) -> None:
    use_cases, _ = uc
    async with engine.begin() as conn:
        await conn.execute(
            insert(accounts).values(
                supplier_id=1, number="1999999998", holder="Київська О. О.", address="Львів, 2"
            )
        )
    found = await use_cases.find_accounts(CITY, SearchKind.AUTO, "київ")
    holders = [a.holder for a in found.accounts]
    assert holders[0] == "Київська О. О."  # the surname, then the addresses in Київ
    assert len(holders) > 1 and holders.count("Київська О. О.") == 1


async def test_the_trail_holds_the_caller_identification_once(uc) -> None:
    use_cases, demo = uc
    m = next(m for m in demo.meters if m.supplier == "kvk" and not m.note)
    found = await use_cases.find_accounts(CITY, SearchKind.NUMBER, m.account)
    account = found.accounts[0]
    card = await use_cases.view_account(CITY, account.id)
    meter = next(c.overview.meter for c in card.meters if c.overview.meter.serial == m.serial)
    request = CallerRequest(CITY, account.id, Channel.PHONE, "meter_serial", "дзвінок", "key-9")
    items = [ReadingItem(meter.id, m.values["T1"][-1] + Decimal(1))]
    first = await use_cases.submit_for_caller(request, items)
    again = await use_cases.submit_for_caller(request, items)
    assert again.replayed and again.readings == first.readings
    trail = (await use_cases.view_account(CITY, account.id)).trail
    actions = [e.action for e in trail]
    assert actions.count("console.caller_identified") == 1 and "readings.submit" in actions
    with pytest.raises(DomainError) as caught:
        await use_cases.submit_for_caller(replace(request, note=" ", client_key="k2"), items)
    assert caught.value.code == "operator.note_required"


async def test_a_supplier_is_saved_only_valid(uc) -> None:
    use_cases, _ = uc
    records = await use_cases.list_suppliers(ADMIN)
    kvk = next(r for r in records if r.supplier.code == "kvk")
    form = SupplierForm("kvk", "Водоканал", "10..-1", "Europe/Kyiv", r"\d{8}", ["cold_water"])
    for bad in (
        replace(form, window_rule="10-31"),
        replace(form, account_pattern="[0-9"),
        replace(form, code="kte"),
        replace(form, services=["steam"]),
    ):
        with pytest.raises(DomainError):
            await use_cases.save_supplier(ADMIN, kvk.supplier.id, bad)
    assert await use_cases.list_suppliers.one(ADMIN, kvk.supplier.id) == kvk
    with pytest.raises(DomainError):
        await use_cases.save_supplier(CITY, kvk.supplier.id, form)
    saved = await use_cases.save_supplier(ADMIN, kvk.supplier.id, form)
    assert saved.supplier.name == "Водоканал"
