"""Charts as PNG, drawn on matplotlib's Agg canvas directly (no pyplot, no display).

matplotlib is imported on the first drawing, never at the app's start (about 0.5 s on the test
machine). Margins are fixed rather than found by ``tight_layout`` (a second layout pass, about a
third of a drawing's time). Readable at Telegram's preview and a phone's width: large type, a
period's label as its month with the year under the first month of each year (no slanted
labels), zones stacked in one bar a period in colours told apart with colour-blindness too
(Okabe and Ito's palette), named by a legend above the bars.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence

from komunalka.application.shared.ports import ZoneUse

# matplotlib's font cache and text layout are shared: one chart at a time.
_LOCK = threading.Lock()
WIDTH, HEIGHT, DPI = 6.4, 3.6, 100
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
PERIOD = re.compile(r"(\d{4})-(\d{2})")
FONT = 11


class MatplotlibCharts:
    def consumption_chart(
        self,
        title: str,
        labels: Sequence[str],
        values: Sequence[float],
        unit: str,
        period_axis: str = "",
    ) -> bytes:
        return _draw(title, labels, [ZoneUse("", tuple(values))], unit, period_axis)

    def zones_chart(
        self,
        title: str,
        periods: Sequence[str],
        zones: Sequence[ZoneUse],
        unit: str,
        period_axis: str = "",
    ) -> bytes:
        return _draw(title, periods, zones, unit, period_axis)


def period_labels(periods: Sequence[str]) -> tuple[list[str], bool]:
    """ "2026-01" as "01" with "2026" under it where the year starts or changes; other labels as
    they are (and then slanted: the second value says so)."""
    matches = [PERIOD.fullmatch(p) for p in periods]
    if not all(matches):
        return list(periods), True
    labels, year = [], ""
    for found in matches:
        assert found is not None
        labels.append(found[2] if found[1] == year else f"{found[2]}\n{found[1]}")
        year = found[1]
    return labels, False


def _draw(
    title: str, periods: Sequence[str], zones: Sequence[ZoneUse], unit: str, period_axis: str
) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels, slanted = period_labels(periods)
    legend = len(zones) > 1
    with _LOCK:
        figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
        FigureCanvasAgg(figure)  # drawn on Agg, whatever the default backend
        top = 0.78 if legend else 0.88
        bottom = 0.27 if slanted else (0.22 if period_axis else 0.16)
        figure.subplots_adjust(left=0.11, right=0.98, top=top, bottom=bottom)
        axes = figure.add_subplot()
        positions = range(len(labels))
        base = [0.0] * len(labels)
        for i, zone in enumerate(zones):
            values = list(zone.values)
            axes.bar(
                positions,
                values,
                bottom=base,
                width=0.7,
                color=COLOURS[i % len(COLOURS)],
                label=zone.name,
                edgecolor="white",
                linewidth=0.6,
            )
            base = [b + v for b, v in zip(base, values, strict=True)]
        axes.set_xticks(list(positions), labels, fontsize=FONT - 1)
        if slanted:
            axes.tick_params(axis="x", labelrotation=45)
        axes.tick_params(axis="y", labelsize=FONT - 1)
        figure.suptitle(title, fontsize=FONT + 2, y=0.98)
        axes.set_ylabel(unit, fontsize=FONT)
        if period_axis:
            axes.set_xlabel(period_axis, fontsize=FONT)
        axes.grid(axis="y", alpha=0.3)
        axes.set_axisbelow(True)
        axes.spines[["top", "right"]].set_visible(False)
        if legend:
            figure.legend(
                loc="upper center",
                bbox_to_anchor=(0.5, 0.91),
                ncols=len(zones),
                fontsize=FONT,
                frameon=False,
                handlelength=1.2,
            )
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()
