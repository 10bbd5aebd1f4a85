"""The leak rule: a month far above the meter's usual, or over the service's cap."""

from decimal import Decimal

from komunalka.domain.consumption import OVER_CAP, OVER_USUAL, UseLimits, unusual_use
from komunalka.domain.meters import Meter
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import PastValue
from komunalka.domain.services import Service

NOV = BillingPeriod(2026, 11)


def water(digits: int = 5) -> Meter:
    return Meter(7, 1, Service.COLD_WATER, "W1", ("T1",), digits, 3)


def two_zone() -> Meter:
    return Meter(8, 1, Service.ELECTRICITY, "E1", ("day", "night", "total"), 6, 0)


def series(start: int, monthly: list[int], until: BillingPeriod = NOV) -> list[PastValue]:
    """Readings of the months before `until`, the last one the month before it."""
    values, value = [], Decimal(start)
    first = until.shift(-len(monthly) - 1)
    values.append(PastValue(first, value))
    for i, used in enumerate(monthly, start=1):
        value += used
        values.append(PastValue(first.shift(i), value))
    return values


def judge(meter: Meter, new: dict[str, str], history: dict[str, list[PastValue]], **limits):
    values = {k: Decimal(v) for k, v in new.items()}
    return unusual_use(meter, NOV, values, history, UseLimits(**limits) if limits else None)


def test_a_month_over_three_times_the_median_is_unusual():
    history = series(100, [5, 6, 5, 4, 6, 5, 5, 6, 5, 4, 6, 5])  # median 5, last value 162
    found = judge(water(), {"T1": "178"}, {"T1": history})
    assert found is not None
    assert (found.code, found.used, found.usual, found.months) == (
        OVER_USUAL,
        Decimal(16),
        Decimal(5),
        12,
    )


def test_a_month_at_three_times_the_median_is_not():
    history = series(100, [5] * 12)
    assert judge(water(), {"T1": "175"}, {"T1": history}) is None


def test_only_the_last_twelve_months_make_the_usual():
    # Two years ago the flat used 30 a month; the last twelve, 5: 20 is four times usual.
    history = series(0, [30] * 12 + [5] * 12)
    last = history[-1].value
    found = judge(water(), {"T1": str(last + 20)}, {"T1": history})
    assert found is not None and found.usual == Decimal(5) and found.months == 12


def test_fewer_months_than_needed_judge_by_the_cap_only():
    history = series(100, [1, 1])  # two months: the median says nothing yet
    assert judge(water(), {"T1": "130"}, {"T1": history}) is None  # 28: 28x, but under the cap
    found = judge(water(), {"T1": "172"}, {"T1": history})  # 70 > 60
    assert found is not None
    assert (found.code, found.usual, found.months, found.cap) == (OVER_CAP, None, 0, Decimal(60))


def test_no_earlier_reading_judges_nothing():
    assert judge(water(), {"T1": "99999"}, {}) is None


def test_a_zero_median_is_unusual_only_above_the_floor():
    history = series(100, [0] * 12)  # an empty flat
    assert judge(water(), {"T1": "105"}, {"T1": history}) is None  # 5 < the floor of 6
    found = judge(water(), {"T1": "107"}, {"T1": history})
    assert found is not None and found.code == OVER_USUAL and found.usual == 0


def test_use_under_the_floor_is_never_unusual():
    history = series(100, [Decimal("0.1")] * 12)
    assert judge(water(), {"T1": "105.3"}, {"T1": history}) is None


def test_a_rollover_counts_the_use_across_zero():
    history = series(99_930, [5] * 12)  # the last reading shows 99 990
    assert judge(water(), {"T1": "3"}, {"T1": history}) is None  # 13 across zero: usual
    found = judge(water(), {"T1": "30"}, {"T1": history})  # 99 990 -> 100 000 -> 30
    assert found is not None and found.used == Decimal(40)


def test_a_rollover_in_the_history_is_a_month_like_any_other():
    points = [PastValue(NOV.shift(-13 + i), Decimal((99_970 + 5 * i) % 100_000)) for i in range(13)]
    found = judge(water(), {"T1": str(points[-1].value + 16)}, {"T1": points})
    assert found is not None and found.usual == Decimal(5) and found.months == 12


def test_a_replaced_or_reset_meter_judges_nothing():
    history = series(50_000, [5] * 12)  # the dial stood at 50 060; now it shows 12
    assert judge(water(), {"T1": "12"}, {"T1": history}) is None


def test_a_reset_in_the_history_leaves_its_month_out():
    points = [PastValue(NOV.shift(-9 + i), Decimal(100 + 5 * i)) for i in range(4)]
    points.append(PastValue(NOV.shift(-5), Decimal(3)))  # a new dial: this step is no use
    points += [PastValue(NOV.shift(-4 + i), Decimal(3 + 5 * (i + 1))) for i in range(4)]
    found = judge(water(), {"T1": str(points[-1].value + 30)}, {"T1": points})
    assert found is not None and found.months == 7 and found.usual == Decimal(5)


def test_skipped_months_spread_the_use_evenly():
    # Three months without readings, then 15 over them: 5 a month, not one month of 15.
    points = series(100, [5] * 8, until=NOV.shift(-3))
    history = [*points]
    found = judge(water(), {"T1": str(points[-1].value + 15)}, {"T1": history})
    assert found is None  # 15 over four months (Jul..Nov) is 3.75 a month
    found = judge(water(), {"T1": str(points[-1].value + 80)}, {"T1": history})
    assert found is not None and found.used == Decimal(20)  # 80 over four months


def test_a_two_zone_meter_is_judged_on_both_zones_together_without_the_total():
    day, night = series(1000, [200] * 12), series(500, [100] * 12)  # 300 a month
    total = [PastValue(d.period, d.value + n.value) for d, n in zip(day, night, strict=True)]
    history = {"day": day, "night": night, "total": total}
    d, n = day[-1].value, night[-1].value
    ok = {"day": str(d + 500), "night": str(n + 300), "total": str(d + n + 800)}
    assert judge(two_zone(), ok, history) is None  # 800 < 900
    high = {"day": str(d + 700), "night": str(n + 300), "total": str(d + n + 1000)}
    found = judge(two_zone(), high, history)
    assert found is not None and found.used == Decimal(1000) and found.usual == Decimal(300)


def test_a_correction_is_judged_against_the_month_before():
    history = series(100, [5] * 12)
    history.append(PastValue(NOV, Decimal(170)))  # the first reading of November, corrected
    found = judge(water(), {"T1": "190"}, {"T1": history})
    assert found is not None and found.used == Decimal(30)


def test_the_factor_and_months_needed_are_settings():
    history = series(100, [5, 5])
    assert judge(water(), {"T1": "126"}, {"T1": history}) is None
    found = judge(water(), {"T1": "126"}, {"T1": history}, min_months=2, factor=Decimal(2))
    assert found is not None and found.code == OVER_USUAL
