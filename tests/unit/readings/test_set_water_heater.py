"""SetWaterHeater against the fakes: a resident marks their own hot-water meter, and only that."""

from __future__ import annotations

import pytest

from komunalka.application.readings.set_water_heater import (
    SetWaterHeater,
    SetWaterHeaterRequest,
)
from komunalka.application.shared.actors import Actor
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, InMemoryStore, kyiv
from tests.world import World, build_world


@pytest.fixture
async def setup() -> tuple[InMemoryStore, World, SetWaterHeater]:
    store = InMemoryStore()
    world = await build_world(store)
    clock = FakeClock(kyiv(2026, 11, 20))
    use_case = SetWaterHeater(store, store.meters, store.meters, store.audit, clock)
    return store, world, use_case


def asked(world: World, meter_id: int, on: bool = True, resident: int | None = None) -> object:
    actor = Actor.resident(resident or world.resident, Channel.WEB)
    return SetWaterHeaterRequest(actor, meter_id, on)


async def test_a_resident_marks_their_hot_water_meter_as_feeding_a_water_heater(setup) -> None:
    store, world, set_heater = setup
    done = await set_heater(asked(world, world.hot_water))
    assert done.changed and done.meter.water_heater
    assert store.state.meters[world.hot_water].water_heater


async def test_the_mark_is_cleared_again(setup) -> None:
    store, world, set_heater = setup
    await set_heater(asked(world, world.hot_water))
    done = await set_heater(asked(world, world.hot_water, on=False))
    assert done.changed and not done.meter.water_heater
    assert not store.state.meters[world.hot_water].water_heater


async def test_the_change_is_audited_and_committed(setup) -> None:
    store, world, set_heater = setup
    commits = store.commits
    await set_heater(asked(world, world.hot_water))
    actor, action, subject, details = store.state.audit[-1]
    assert (action, subject, details) == (
        "meter.water_heater",
        f"meter:{world.hot_water}",
        {"water_heater": True},
    )
    assert actor.resident_id == world.resident
    assert store.commits == commits + 1


async def test_asking_for_what_already_is_changes_and_audits_nothing(setup) -> None:
    store, world, set_heater = setup
    entries = len(store.state.audit)
    done = await set_heater(asked(world, world.hot_water, on=False))
    assert not done.changed
    assert len(store.state.audit) == entries


async def test_a_meter_of_an_account_not_linked_is_refused_as_unknown(setup) -> None:
    store, world, set_heater = setup
    with pytest.raises(DomainError) as caught:
        await set_heater(asked(world, world.stranger_meter))
    assert caught.value.code == "meter.not_found"
    assert not store.state.meters[world.stranger_meter].water_heater


async def test_a_meter_that_does_not_exist_is_refused(setup) -> None:
    _, world, set_heater = setup
    with pytest.raises(DomainError) as caught:
        await set_heater(asked(world, 999_999))
    assert caught.value.code == "meter.not_found"


async def test_a_meter_other_than_hot_water_is_refused(setup) -> None:
    store, world, set_heater = setup
    with pytest.raises(DomainError) as caught:
        await set_heater(asked(world, world.electricity))
    assert caught.value.code == "meter.water_heater_not_hot_water"
    assert not store.state.meters[world.electricity].water_heater


async def test_staff_may_not_set_it(setup) -> None:
    _, world, set_heater = setup
    staff = Actor.system(Channel.WEB)
    with pytest.raises(DomainError) as caught:
        await set_heater(SetWaterHeaterRequest(staff, world.hot_water, True))
    assert caught.value.code == "meter.not_found"
