"""Pictures already drawn, kept in the process by what they show (``chart_digest``): a chart
changes only when its meter's readings (or the words around them) do, so a request that finds its
digest here is served without drawing. Bounded (least recently used goes first); values of their
arguments only, so nothing to invalidate and nothing another process must see."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

from komunalka.application.shared.charts import chart_digest
from komunalka.application.shared.ports import ChartRenderer, ZoneUse

# A picture is 15-60 kB: 512 of them is at most about 30 MB a process.
KEPT = 512


class CachedCharts:
    """A ChartRenderer that draws with another one only what it has not drawn yet."""

    def __init__(self, draw: ChartRenderer, kept: int = KEPT) -> None:
        self._draw = draw
        self._kept = kept
        self._pictures: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def consumption_chart(
        self,
        title: str,
        labels: Sequence[str],
        values: Sequence[float],
        unit: str,
        period_axis: str = "",
    ) -> bytes:
        key = chart_digest(title, labels, values, unit, period_axis)
        draw = self._draw.consumption_chart
        return self._kept_or_drawn(key, lambda: draw(title, labels, values, unit, period_axis))

    def zones_chart(
        self,
        title: str,
        periods: Sequence[str],
        zones: Sequence[ZoneUse],
        unit: str,
        period_axis: str = "",
    ) -> bytes:
        key = chart_digest(title, periods, zones, unit, period_axis)
        draw = self._draw.zones_chart
        return self._kept_or_drawn(key, lambda: draw(title, periods, zones, unit, period_axis))

    def _kept_or_drawn(self, key: str, draw: Callable[[], bytes]) -> bytes:
        with self._lock:
            png = self._pictures.get(key)
            if png is not None:
                self._pictures.move_to_end(key)
                return png
        png = draw()
        with self._lock:
            self._pictures[key] = png
            self._pictures.move_to_end(key)
            while len(self._pictures) > self._kept:
                self._pictures.popitem(last=False)
        return png
