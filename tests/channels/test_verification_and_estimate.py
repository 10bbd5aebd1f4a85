"""The cabinet over HTTP, on SQLite and PostgreSQL with the demo data: a meter's verification
announced 30 days ahead (29 days shows, 31 does not, overdue says why readings are refused), the
period's estimated amount after sending and in history, and the demo's seasons."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from komunalka.adapters.db.tables import meters
from komunalka.application.shared.actors import Actor
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import ReadingStatus
from komunalka.domain.services import Channel
from komunalka.i18n import translate
from komunalka.money import format_money
from tests.channels.pages import Site, text_of
from tests.channels.test_cabinet import demo_meters, form_of, link, registers, sign_up

TODAY = date(2026, 11, 20)  # the pages' frozen clock


def engine_of(site: Site) -> Any:
    return site.client._transport.app.state.container.engine  # type: ignore[attr-defined]


async def due_in(site: Site, serial: str, days: int) -> date:
    due = TODAY + timedelta(days=days)
    async with engine_of(site).begin() as conn:
        await conn.execute(
            update(meters).where(meters.c.serial == serial).values(verification_due=due)
        )
    return due


async def meter_id(site: Site, serial: str) -> int:
    async with engine_of(site).connect() as conn:
        found = await conn.execute(select(meters.c.id).where(meters.c.serial == serial))
        return int(found.scalar_one())


def soon(due: date) -> str:
    return translate("verification.soon", "uk", {"date": due.strftime("%d.%m.%Y")})


async def test_a_verification_due_in_29_days_is_announced_with_what_to_do(site: Site) -> None:
    await site.sign_in()
    serial = demo_meters(site, 1, "kvk")[0].serial  # flat 1 is the demo resident's
    due = await due_in(site, serial, 29)
    home = text_of((await site.get("/")).text)
    assert soon(due) in home
    history = text_of((await site.get(f"/meters/{await meter_id(site, serial)}")).text)
    assert soon(due) in history


async def test_the_demo_resident_sees_the_demos_meter_due_soon(site: Site) -> None:
    await site.sign_in()
    (meter,) = [m for m in demo_meters(site, 1, "kvk") if m.note == "verification soon"]
    assert meter.verification_due == TODAY + timedelta(days=20)
    assert soon(meter.verification_due) in text_of((await site.get("/")).text)


async def test_a_verification_due_in_31_days_is_not_announced(site: Site) -> None:
    await site.sign_in()
    serial = demo_meters(site, 1, "kvk")[0].serial
    due = await due_in(site, serial, 31)
    home = text_of((await site.get("/")).text)
    assert soon(due) not in home
    assert 'class="notice verification"' not in (await site.get("/")).text
    history = text_of((await site.get(f"/meters/{await meter_id(site, serial)}")).text)
    assert soon(due) not in history
    assert translate("cabinet.verification_due", "uk", {"date": "21.12.2026"}) in history


async def test_an_overdue_meter_says_why_its_readings_are_refused(site: Site) -> None:
    await site.sign_in()
    (overdue,) = [m for m in demo_meters(site, 5, "kvk") if m.note == "verification overdue"]
    reason = translate(
        "meter.verification_overdue", "uk", {"due": overdue.verification_due.isoformat()}
    )
    assert "Замовте повірку" in reason
    assert reason in text_of((await site.get("/")).text)
    history = text_of((await site.get(f"/meters/{await meter_id(site, overdue.serial)}")).text)
    assert reason in history


def money(amount: str) -> str:
    """An amount as the page's visible words show it (`text_of` folds every space)."""
    return " ".join(format_money(Decimal(amount), "uk").split())


def bumped_by_one(fields: dict[str, str], key: str) -> str:
    return str(Decimal(fields[f"prev.{key}"]) + 1).replace(".", ",")


async def test_after_sending_the_period_is_estimated_per_account_and_in_history(
    site: Site,
) -> None:
    await sign_up(site)
    await link(site, 4, "kte")  # heat and hot water
    await link(site, 4, "kvk")  # two cold water meters
    fields = form_of((await site.get("/readings")).text)
    for key in registers(fields):
        fields[f"v.{key}"] = bumped_by_one(fields, key)  # one unit of each
    answer = await site.post("/readings", fields)
    assert answer.status_code == 200, text_of(answer.text)
    text = text_of(answer.text)
    assert translate("cabinet.estimate_heading", "uk", {"period": "листопад 2026"}) in text
    # demo tariffs: heat 1654.41 a Gcal, hot water 105.04 a m3, cold water 30.14 a m3
    assert money("1759.45") in text
    assert money("60.28") in text
    assert translate("estimate.demo", "uk") in text
    heat = next(m for m in demo_meters(site, 4, "kte") if m.service == "heat")
    history = text_of((await site.get(f"/meters/{await meter_id(site, heat.serial)}")).text)
    assert translate("cabinet.estimate_heading", "uk", {"period": "листопад 2026"}) in history
    assert money("1654.41") in history


async def test_the_demo_has_no_heat_in_summer_and_more_electricity_in_winter(site: Site) -> None:
    actor = Actor.system(Channel.CLI, "test")

    async def use(serial: str) -> dict[BillingPeriod, Decimal]:
        found = await site.use_cases.reading_history(actor, await meter_id(site, serial), 13)
        return {
            e.reading.period: e.consumption
            for e in found.entries
            if e.consumption is not None and e.reading.status is ReadingStatus.ACCEPTED
        }

    heat = [m for m in site.demo.meters if m.service == "heat"]
    assert heat
    summer = [BillingPeriod(2026, month) for month in (6, 7, 8)]
    winter = [BillingPeriod(2026, 1), BillingPeriod(2026, 2)]
    for meter in heat:
        used = await use(meter.serial)
        assert all(used[p] == 0 for p in summer), (meter.serial, used)
        assert all(used[p] > Decimal("0.5") for p in winter), (meter.serial, used)
    power = [m for m in site.demo.meters if m.service == "electricity" and m.registers == ("T1",)]
    cold_months = [BillingPeriod(2025, 12), *winter]
    warm = cold = Decimal(0)
    for meter in power:
        used = await use(meter.serial)
        warm += sum((used[p] for p in summer), Decimal(0))
        cold += sum((used[p] for p in cold_months), Decimal(0))
    assert cold > warm * Decimal("1.15")
    water = next(m for m in site.demo.meters if m.service == "cold_water" and not m.note)
    assert all(v > 0 for v in (await use(water.serial)).values())  # water is used all year


async def test_the_demo_prices_heat_and_water_at_marked_demo_tariffs(site: Site) -> None:
    actor = Actor.system(Channel.CLI, "test")
    for service in ("heat", "hot_water", "cold_water"):
        meter = next(m for m in site.demo.meters if m.service == service and m.flat == 1)
        found = await site.use_cases.reading_history(actor, await meter_id(site, meter.serial), 13)
        costs = [e.cost for e in found.entries if e.cost is not None]
        assert costs and found.demo_prices, service
