"""A meter's water-heater flag: only a hot-water meter may carry it."""

import pytest

from komunalka.domain.errors import DomainError
from komunalka.domain.meters import Meter, water_heater_violations
from komunalka.domain.services import Service


def meter(service: Service, water_heater: bool) -> Meter:
    return Meter(1, 1, service, "HW1", ("T1",), 5, 3, water_heater=water_heater)


def test_a_hot_water_meter_may_feed_a_water_heater():
    assert meter(Service.HOT_WATER, True).water_heater
    assert water_heater_violations(Service.HOT_WATER, True) == []


def test_a_meter_has_no_water_heater_unless_told():
    assert Meter(1, 1, Service.HOT_WATER, "HW1", ("T1",), 5, 3).water_heater is False


@pytest.mark.parametrize("service", [s for s in Service if s is not Service.HOT_WATER])
def test_a_water_heater_on_any_other_meter_is_refused(service: Service):
    with pytest.raises(DomainError) as caught:
        meter(service, True)
    assert [v.code for v in caught.value.violations] == ["meter.water_heater_not_hot_water"]


@pytest.mark.parametrize("service", list(Service))
def test_no_water_heater_is_fine_on_any_meter(service: Service):
    assert water_heater_violations(service, False) == []
