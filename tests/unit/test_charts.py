"""Charts are real PNG pictures of the asked size."""

from __future__ import annotations

import struct
from collections.abc import Sequence

from komunalka.adapters.chart_cache import CachedCharts
from komunalka.adapters.charts import MatplotlibCharts
from komunalka.application.shared.charts import chart_digest


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
        self, title: str, labels: Sequence[str], values: Sequence[float], unit: str
    ) -> bytes:
        self.drawn += 1
        return f"{title}|{labels}|{values}|{unit}".encode()


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
