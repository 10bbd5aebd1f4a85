"""Charts as PNG, drawn on matplotlib's Agg canvas directly (no pyplot, no display).

matplotlib is imported on the first drawing, never at the app's start (about 0.5 s on the test
machine). Margins are fixed rather than found by ``tight_layout`` (a second layout pass, about a
third of a drawing's time): the labels are short periods and the title one line.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence

# matplotlib's font cache and text layout are shared: one chart at a time.
_LOCK = threading.Lock()
WIDTH, HEIGHT, DPI = 6.4, 3.6, 100


class MatplotlibCharts:
    def consumption_chart(
        self, title: str, labels: Sequence[str], values: Sequence[float], unit: str
    ) -> bytes:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        with _LOCK:
            figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
            FigureCanvasAgg(figure)  # drawn on Agg, whatever the default backend
            figure.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.24)
            axes = figure.add_subplot()
            axes.bar(list(labels), list(values), color="#2f6fb3")
            axes.set_title(title)
            axes.set_ylabel(unit)
            axes.tick_params(axis="x", labelrotation=45)
            axes.grid(axis="y", alpha=0.3)
            out = io.BytesIO()
            figure.savefig(out, format="png")
        return out.getvalue()
