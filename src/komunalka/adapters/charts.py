"""Charts as PNG, drawn with matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence

# pyplot keeps global state: one chart at a time.
_LOCK = threading.Lock()


class MatplotlibCharts:
    def consumption_chart(
        self, title: str, labels: Sequence[str], values: Sequence[float], unit: str
    ) -> bytes:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure

        with _LOCK:
            figure = Figure(figsize=(6.4, 3.6), dpi=100)
            axes = figure.subplots()
            axes.bar(list(labels), list(values), color="#2f6fb3")
            axes.set_title(title)
            axes.set_ylabel(unit)
            axes.tick_params(axis="x", labelrotation=45)
            axes.grid(axis="y", alpha=0.3)
            figure.tight_layout()
            out = io.BytesIO()
            figure.savefig(out, format="png")
        return out.getvalue()
