"""Charts are real PNG pictures of the asked size."""

from __future__ import annotations

import struct
from collections.abc import Sequence

from komunalka.adapters.chart_cache import CachedCharts
from komunalka.adapters.charts import MatplotlibCharts, period_labels
from komunalka.application.shared.charts import chart_digest
from komunalka.application.shared.ports import ZoneUse


def test_a_consumption_chart_is_a_png_picture() -> None:
    png = MatplotlibCharts().consumption_chart(
        "Гаряча вода №HW1", ["2026-09", "2026-10"], [2.5, 3.0], "м³"
    )
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (640, 360)


class CountingCharts:
    def __init__(self) -> None:
        self.drawn = 0

    def consumption_chart(
        self,
        title: str,
        labels: Sequence[str],
        values: Sequence[float],
        unit: str,
        period_axis: str = "",
    ) -> bytes:
        self.drawn += 1
        return f"{title}|{labels}|{values}|{unit}".encode()

    def zones_chart(
        self,
        title: str,
        periods: Sequence[str],
        zones: Sequence[ZoneUse],
        unit: str,
        period_axis: str = "",
    ) -> bytes:
        raise AssertionError("not asked for")


def test_a_chart_is_drawn_once_while_what_it_shows_stays_the_same() -> None:
    draw = CountingCharts()
    charts = CachedCharts(draw)
    first = charts.consumption_chart("Вода", ["2026-09", "2026-10"], [2.5, 3.0], "м³")
    assert charts.consumption_chart("Вода", ["2026-09", "2026-10"], [2.5, 3.0], "м³") == first
    assert draw.drawn == 1
    charts.consumption_chart("Вода", ["2026-09", "2026-10"], [2.5, 3.5], "м³")
    charts.consumption_chart("Water", ["2026-09", "2026-10"], [2.5, 3.0], "m³")
    assert draw.drawn == 3


def test_the_cache_keeps_the_most_recently_used_pictures() -> None:
    draw = CountingCharts()
    charts = CachedCharts(draw, kept=2)
    for value in (1.0, 2.0, 1.0, 3.0):  # 1.0 was used again, so 2.0 goes first
        charts.consumption_chart("t", ["p"], [value], "u")
    assert draw.drawn == 3
    charts.consumption_chart("t", ["p"], [1.0], "u")
    assert draw.drawn == 3
    charts.consumption_chart("t", ["p"], [2.0], "u")
    assert draw.drawn == 4


def test_the_digest_names_what_is_shown() -> None:
    digest = chart_digest("t", ["a", "b"], [1, 2], "u")
    assert digest == chart_digest("t", ["a", "b"], [1.0, 2.0], "u")
    assert digest != chart_digest("t", ["a,b"], [1, 2], "u")
    assert digest != chart_digest("t", ["a", "b"], [1, 2], "kWh")


def test_a_zoned_chart_is_a_png_picture_of_the_same_size() -> None:
    zones = [ZoneUse("День", (120.0, 130.0)), ZoneUse("Ніч", (60.0, 65.0))]
    png = MatplotlibCharts().zones_chart("Електроенергія", ["2025-12", "2026-01"], zones, "кВт·год")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (640, 360)


def test_periods_read_as_months_with_the_year_where_it_starts() -> None:
    assert period_labels(["2025-12", "2026-01", "2026-02"]) == (
        ["12\n2025", "01\n2026", "02"],
        False,
    )
    assert period_labels(["2026-01 day"]) == (["2026-01 day"], True)


def test_zoned_charts_are_kept_by_their_zones_values() -> None:
    draw = MatplotlibCharts()
    charts = CachedCharts(draw)
    zones = [ZoneUse("День", (1.0,)), ZoneUse("Ніч", (2.0,))]
    first = charts.zones_chart("t", ["2026-01"], zones, "u")
    assert charts.zones_chart("t", ["2026-01"], list(zones), "u") is first
    assert chart_digest("t", ["2026-01"], zones, "u") != chart_digest(
        "t", ["2026-01"], [ZoneUse("День", (1.0,)), ZoneUse("Ніч", (3.0,))], "u"
    )
