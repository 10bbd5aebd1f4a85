"""Charts are real PNG pictures of the asked size."""

from __future__ import annotations

import struct

from komunalka.adapters.charts import MatplotlibCharts


def test_a_consumption_chart_is_a_png_picture() -> None:
    png = MatplotlibCharts().consumption_chart(
        "Гаряча вода №HW1", ["2026-09", "2026-10"], [2.5, 3.0], "м³"
    )
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (640, 360)
