"""The rules a new reading meets against the meter's history, its zones and its state."""

import re
from datetime import date
from decimal import Decimal

import pytest

from komunalka.domain.errors import Severity
from komunalka.domain.meters import Meter, MeterStatus
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import (
    PastValue,
    check_total,
    check_value,
    meter_state_violations,
    new_receipt,
    usual_monthly_use,
)
from komunalka.domain.services import Service

MAY = BillingPeriod(2024, 5)


def meter(
    service: Service = Service.ELECTRICITY,
    registers: tuple[str, ...] = ("T1",),
    digits: int = 5,
    verification_due: date | None = None,
    status: MeterStatus = MeterStatus.ACTIVE,
) -> Meter:
    return Meter(
        id=7,
        account_id=1,
        service=service,
        serial="AB123",
        registers=registers,
        digits=digits,
        decimals=0,
        verification_due=verification_due,
        status=status,
    )


def past(period: str, value: str) -> PastValue:
    return PastValue(BillingPeriod.parse(period), Decimal(value))


def codes(violations: list) -> list[str]:
    return [v.code for v in violations]


# Against the previous reading


def test_reading_below_previous_is_rejected():
    found = check_value(meter(), "T1", Decimal("1200"), MAY, [past("2024-04", "1250")])
    assert codes(found) == ["reading.below_previous"]


def test_reading_below_previous_is_an_error():
    found = check_value(meter(), "T1", Decimal("1200"), MAY, [past("2024-04", "1250")])
    assert found[0].severity is Severity.ERROR


def test_reading_below_previous_names_the_previous_value_and_period():
    found = check_value(meter(), "T1", Decimal("1200"), MAY, [past("2024-04", "1250")])
    assert found[0].params == {"previous": "1250", "previous_period": "2024-04"}


def test_reading_below_previous_points_at_the_meter_and_register():
    found = check_value(meter(), "T1", Decimal("1200"), MAY, [past("2024-04", "1250")])
    assert (found[0].meter_id, found[0].register) == (7, "T1")


def test_previous_is_the_latest_earlier_period():
    history = [past("2024-02", "1000"), past("2024-03", "1300"), past("2024-04", "1250")]
    found = check_value(meter(), "T1", Decimal("1200"), MAY, history)
    assert found[0].params["previous_period"] == "2024-04"


def test_unchanged_reading_is_valid():
    # Owners of electric water heaters send the same hot-water value every month.
    history = [past("2024-03", "412"), past("2024-04", "412")]
    assert check_value(meter(Service.HOT_WATER), "T1", Decimal("412"), MAY, history) == []


def test_normal_growth_passes():
    history = [past("2024-02", "1000"), past("2024-03", "1200"), past("2024-04", "1400")]
    assert check_value(meter(), "T1", Decimal("1620"), MAY, history) == []


def test_first_reading_with_no_history_passes():
    assert check_value(meter(), "T1", Decimal("54321"), MAY, []) == []


def test_history_of_this_or_later_periods_is_not_previous():
    # A correction in the same period may go down; a later period is not "before" this one.
    history = [past("2024-05", "1300"), past("2024-06", "1400")]
    assert check_value(meter(), "T1", Decimal("1250"), MAY, history) == []


# Rollover: all nines → zero


def test_rollover_from_near_capacity_to_near_zero_is_a_warning():
    found = check_value(meter(digits=5), "T1", Decimal("30"), MAY, [past("2024-04", "99950")])
    assert [(v.code, v.severity) for v in found] == [("reading.rollover", Severity.WARNING)]


def test_rollover_counts_the_use_across_zero():
    found = check_value(meter(digits=5), "T1", Decimal("30"), MAY, [past("2024-04", "99950")])
    assert found[0].params == {"previous": "99950", "previous_period": "2024-04", "used": "80"}


@pytest.mark.parametrize(
    ("previous", "value"),
    [("89999", "5"), ("99950", "10000"), ("50000", "10")],
    ids=["previous-below-top-tenth", "new-above-bottom-tenth", "middle-of-the-dial"],
)
def test_drop_that_is_not_near_the_dials_ends_is_below_previous(previous: str, value: str):
    found = check_value(meter(digits=5), "T1", Decimal(value), MAY, [past("2024-04", previous)])
    assert codes(found) == ["reading.below_previous"]


# Jump: far above the usual month


def test_jump_far_above_usual_use_is_a_warning():
    # Usual use is 100 kWh a month; 900 in one month is more than three times that.
    history = [past("2024-02", "1000"), past("2024-03", "1100"), past("2024-04", "1200")]
    found = check_value(meter(), "T1", Decimal("2100"), MAY, history)
    assert [(v.code, v.severity) for v in found] == [("reading.jump", Severity.WARNING)]


def test_jump_names_the_use_and_the_usual_month():
    history = [past("2024-02", "1000"), past("2024-03", "1100"), past("2024-04", "1200")]
    found = check_value(meter(), "T1", Decimal("2100"), MAY, history)
    assert found[0].params == {
        "previous": "1200",
        "previous_period": "2024-04",
        "used": "900",
        "usual": "100.0",
    }


def test_jump_without_usual_use_is_measured_against_the_services_ceiling():
    # One earlier point gives no usual use; electricity's ceiling is 2000 kWh a month.
    found = check_value(meter(), "T1", Decimal("3201"), MAY, [past("2024-04", "1200")])
    assert codes(found) == ["reading.jump"]


def test_use_up_to_the_services_ceiling_without_history_passes():
    assert check_value(meter(), "T1", Decimal("3200"), MAY, [past("2024-04", "1200")]) == []


def test_use_over_several_missed_months_is_spread_over_them():
    # 1200 kWh since February is 400 a month over three months: under the 500 a month allowed,
    # though 1200 in one month would ask for confirmation.
    history = [past("2024-01", "1000"), past("2024-02", "1100")]
    assert check_value(meter(), "T1", Decimal("2300"), MAY, history) == []


def test_small_usual_use_is_not_a_hair_trigger():
    # Usual use near zero still allows a quarter of the ceiling (500 kWh) before asking.
    history = [past("2024-03", "1000"), past("2024-04", "1000")]
    assert check_value(meter(), "T1", Decimal("1500"), MAY, history) == []


def test_usual_use_is_the_average_per_month():
    history = [past("2024-01", "1000"), past("2024-04", "1300")]
    assert usual_monthly_use(history) == Decimal(100)


def test_usual_use_needs_two_points():
    assert usual_monthly_use([past("2024-04", "1000")]) is None


# Zones and the total


def test_total_equal_to_the_sum_of_zones_passes():
    two_zone = meter(registers=("day", "night", "total"))
    values = {"day": Decimal("100"), "night": Decimal("50"), "total": Decimal("150")}
    assert check_total(two_zone, values) == []


def test_total_that_is_not_the_sum_of_zones_is_a_mismatch():
    two_zone = meter(registers=("day", "night", "total"))
    values = {"day": Decimal("100"), "night": Decimal("50"), "total": Decimal("160")}
    found = check_total(two_zone, values)
    assert (codes(found), found[0].params) == (
        ["reading.total_mismatch"],
        {"total": "160", "sum": "150"},
    )


def test_total_without_every_zone_cannot_be_checked():
    two_zone = meter(registers=("day", "night", "total"))
    found = check_total(two_zone, {"day": Decimal("100"), "total": Decimal("150")})
    assert codes(found) == ["reading.total_needs_zones"]


def test_zones_without_a_total_need_no_check():
    two_zone = meter(registers=("day", "night", "total"))
    assert check_total(two_zone, {"day": Decimal("100"), "night": Decimal("50")}) == []


def test_meter_without_a_total_register_needs_no_check():
    two_zone = meter(registers=("day", "night"))
    assert check_total(two_zone, {"day": Decimal("100"), "night": Decimal("50")}) == []


# The meter's state


def test_meter_past_its_verification_date_is_refused():
    overdue = meter(verification_due=date(2024, 5, 14))
    assert codes(meter_state_violations(overdue, date(2024, 5, 15))) == [
        "meter.verification_overdue"
    ]


def test_overdue_meter_names_its_due_date():
    overdue = meter(verification_due=date(2024, 5, 14))
    assert meter_state_violations(overdue, date(2024, 5, 15))[0].params == {"due": "2024-05-14"}


def test_meter_on_its_verification_date_is_still_accepted():
    assert (
        meter_state_violations(meter(verification_due=date(2024, 5, 15)), date(2024, 5, 15)) == []
    )


def test_meter_without_a_verification_date_is_accepted():
    assert meter_state_violations(meter(), date(2024, 5, 15)) == []


@pytest.mark.parametrize("status", [MeterStatus.REPLACED, MeterStatus.REMOVED])
def test_meter_that_is_not_active_is_refused(status: MeterStatus):
    found = meter_state_violations(meter(status=status), date(2024, 5, 15))
    assert (codes(found), found[0].params) == (["meter.not_active"], {"status": status.value})


def test_refusal_of_a_meter_points_at_it():
    found = meter_state_violations(meter(status=MeterStatus.REMOVED), date(2024, 5, 15))
    assert found[0].meter_id == 7


# Receipts

_RECEIPT = re.compile(r"^\d{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def test_receipt_has_the_shape_yymm_xxxx_xxxx():
    assert _RECEIPT.match(new_receipt(MAY))


def test_receipt_starts_with_the_periods_year_and_month():
    assert new_receipt(BillingPeriod(2026, 11)).startswith("2611-")


def test_receipts_differ():
    receipts = {new_receipt(MAY) for _ in range(200)}
    assert len(receipts) == 200
