"""The water-heater flag through a registry import on the real databases: new meters (COPY on
PostgreSQL) and known ones (the merge), a re-import that sets, clears or leaves it."""

from __future__ import annotations

from sqlalchemy import select

from komunalka.adapters.db.tables import meters
from komunalka.application.readings.set_water_heater import (
    SetWaterHeater,
    SetWaterHeaterRequest,
)
from komunalka.application.shared.actors import Actor
from komunalka.domain.registry import COLUMNS
from komunalka.domain.services import Channel
from tests.integration.test_registry_and_exports import CLOCK, importer, rows_of
from tests.world import build_world

WITH = ",".join(COLUMNS)
WITHOUT = ",".join(c for c in COLUMNS if c != "water_heater")
HOT = "kte,1000005555,Мельник Ірина,Київ,,hot_water,HW5550001,T1,5,3,,active,2026-10,12"
HEAT = "kte,1000005555,Мельник Ірина,Київ,,heat,HT5550002,T1,5,3,,active,2026-10,3"


async def run(uow, header: str, lines: list[str]):  # type: ignore[no-untyped-def]
    columns, rows = rows_of("\n".join([header, *lines]) + "\n")
    rejected: list = []
    report = await importer(uow)(Actor.system(), columns, rows, rejected.append)
    return report, rejected


async def flags(engine) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        found = await conn.execute(select(meters.c.serial, meters.c.water_heater))
        return {serial: bool(flag) for serial, flag in found}


async def test_a_new_hot_water_meter_lands_with_its_water_heater(uow, engine) -> None:
    await build_world(uow)
    report, rejected = await run(uow, WITH, [f"{HOT},так", f"{HEAT},"])
    assert not rejected and report.accepted == 2
    found = await flags(engine)
    assert found["HW5550001"] is True and found["HT5550002"] is False


async def test_a_water_heater_on_another_meter_or_an_unclear_cell_refuses_the_row(
    uow, engine
) -> None:
    await build_world(uow)
    hot_maybe = HOT.replace("HW5550001", "HW5550009") + ",maybe"
    report, rejected = await run(uow, WITH, [f"{HEAT},1", hot_maybe])
    assert [(r.line, r.codes) for r in rejected] == [
        (2, ("meter.water_heater_not_hot_water",)),
        (3, ("registry.bad_water_heater",)),
    ]
    assert report.accepted == 0


async def test_a_re_import_sets_and_clears_the_flag(uow, engine) -> None:
    await build_world(uow)
    await run(uow, WITH, [f"{HOT},", f"{HEAT},"])
    assert (await flags(engine))["HW5550001"] is False
    await run(uow, WITH, [f"{HOT},yes"])
    assert (await flags(engine))["HW5550001"] is True
    await run(uow, WITH, [f"{HOT},"])  # empty is no: the supplier cleared it
    assert (await flags(engine))["HW5550001"] is False


async def test_a_file_without_the_column_leaves_a_residents_flag_as_it_is(uow, engine) -> None:
    await _residents_meter_marked(uow)
    before = await flags(engine)
    assert before["HW0011234"] is True
    row = "kte,1000001357,Шевченко Тарас Григорович,Київ,,hot_water,HW0011234,T1,5,3,,active,,"
    report, rejected = await run(uow, WITHOUT, [row])
    assert not rejected and report.counts.meters == 1
    assert (await flags(engine))["HW0011234"] is True
    # ... unless the meter is no longer one of hot water
    await run(uow, WITHOUT, [row.replace("hot_water", "cold_water")])
    assert (await flags(engine))["HW0011234"] is False


async def _residents_meter_marked(uow) -> None:  # type: ignore[no-untyped-def]
    world = await build_world(uow)
    set_heater = SetWaterHeater(uow, uow.meters, uow.meters, uow.audit, CLOCK)
    actor = Actor.resident(world.resident, Channel.WEB)
    done = await set_heater(SetWaterHeaterRequest(actor, world.hot_water, True))
    assert done.changed
