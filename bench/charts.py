"""A meter's consumption chart: milliseconds to draw it, and to serve it again unchanged.

For a 12-month single-zone meter and a 12-month meter with day, night and total registers, as the
bot and the cabinet ask for them (``MatplotlibCharts`` behind ``CachedCharts``; the zoned one as
day and night stacked, the total their height):

- cold: a new interpreter's first chart, matplotlib's import included (each round a new process);
- first: a new process's first chart once matplotlib is imported (fonts loaded by the drawing);
- warm: a chart in a process that has drawn one before (a changed meter in a running server);
- cached: the same chart asked for again (``CachedCharts`` finds it by what it shows).

The reference is the drawing before issue 12 (``tight_layout``, ``matplotlib.use``; the zoned
meter as the 36 bars of day, night and total it was asked for), warm, in the same run.
Targets: a drawing <= 300 ms, a cached chart <= 50 ms. No database needed.

    .venv/bin/python bench/charts.py --rounds 5
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
SRC = BENCH.parent / "src"
sys.path.insert(0, str(SRC))

from komunalka.adapters.chart_cache import CachedCharts  # noqa: E402
from komunalka.adapters.charts import MatplotlibCharts  # noqa: E402
from komunalka.application.shared.ports import ChartRenderer, ZoneUse  # noqa: E402

DRAW_TARGET_MS = 300.0
CACHED_TARGET_MS = 50.0
MONTHS = [f"2025-{m:02d}" for m in range(12, 13)] + [f"2026-{m:02d}" for m in range(1, 12)]
UNIT = "кВт·год"


DAY = [120.0 + 11 * (i % 4) for i in range(12)]
NIGHT = [60.0 + 7 * (i % 3) for i in range(12)]


def draw(charts: ChartRenderer, case: str) -> bytes:
    """The chart the bot and the cabinet ask for."""
    if case == ONE_ZONE:
        values = [180.0 + 37 * (i % 5) for i in range(12)]
        return charts.consumption_chart("Електроенергія №E0012345", MONTHS, values, UNIT, "Місяць")
    zones = [ZoneUse("День", tuple(DAY)), ZoneUse("Ніч", tuple(NIGHT))]
    return charts.zones_chart("Електроенергія №E0067890", MONTHS, zones, UNIT, "Місяць")


def as_before(case: str) -> tuple[str, list[str], list[float], str]:
    """What was asked for before issue 12: a zoned meter's day, night and total side by side."""
    if case == ONE_ZONE:
        return "Електроенергія №E0012345", MONTHS, [180.0 + 37 * (i % 5) for i in range(12)], UNIT
    labels, values = [], []
    for month, day, night in zip(MONTHS, DAY, NIGHT, strict=True):
        for zone, value in (("day", day), ("night", night), ("total", day + night)):
            labels.append(f"{month} {zone}")
            values.append(value)
    return "Електроенергія №E0067890", labels, values, UNIT


ONE_ZONE = "12 months, one zone"
CASES = (ONE_ZONE, "12 months, day, night and total")

IN_A_NEW_PROCESS = """
import json, sys, time
started = time.perf_counter()
from komunalka.adapters.charts import MatplotlibCharts
sys.path.insert(0, sys.argv[2])
from charts import draw
draw(MatplotlibCharts(), sys.argv[1])  # matplotlib is imported by the first drawing
print(json.dumps({"cold_ms": (time.perf_counter() - started) * 1000}))
"""

FIRST_AFTER_IMPORT = """
import json, sys, time
import matplotlib.backends.backend_agg, matplotlib.figure
from komunalka.adapters.charts import MatplotlibCharts
sys.path.insert(0, sys.argv[2])
from charts import draw
started = time.perf_counter()
draw(MatplotlibCharts(), sys.argv[1])
print(json.dumps({"first_ms": (time.perf_counter() - started) * 1000}))
"""


def in_a_new_process(code: str, case: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [sys.executable, "-c", code, case, str(BENCH)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def before_issue_12(title: str, labels: Sequence[str], values: Sequence[float], unit: str) -> bytes:
    """The drawing as it was: pyplot's backend chosen, then ``tight_layout``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

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


def timed_ms(call: Callable[[], Any], times: int) -> list[float]:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="new processes per case")
    parser.add_argument("--draws", type=int, default=20, help="warm drawings per case")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    missed = []
    for name in CASES:
        shown = as_before(name)
        cold = [in_a_new_process(IN_A_NEW_PROCESS, name) for _ in range(args.rounds)]
        first = [in_a_new_process(FIRST_AFTER_IMPORT, name)["first_ms"] for _ in range(args.rounds)]
        drawer = MatplotlibCharts()
        draw(drawer, name)
        warm = timed_ms(lambda: draw(drawer, name), args.draws)  # noqa: B023
        before = timed_ms(lambda: before_issue_12(*shown), args.draws)  # noqa: B023
        charts = CachedCharts(MatplotlibCharts())
        png = draw(charts, name)
        cached = timed_ms(lambda: draw(charts, name), 200)  # noqa: B023
        row = {
            "cold_ms": statistics.median(c["cold_ms"] for c in cold),
            "first_ms": statistics.median(first),
            "warm_ms": statistics.median(warm),
            "warm_max_ms": max(warm),
            "before_warm_ms": statistics.median(before),
            "cached_ms": statistics.median(cached),
            "cached_max_ms": max(cached),
            "png_bytes": len(png),
        }
        results[name] = row
        print(
            f"{name}: new process {row['cold_ms']:.0f} ms (import + draw), "
            f"first after import {row['first_ms']:.0f} ms, "
            f"warm {row['warm_ms']:.0f} ms (max {row['warm_max_ms']:.0f}; before issue 12 "
            f"{row['before_warm_ms']:.0f}), cached {row['cached_ms']:.3f} ms "
            f"(max {row['cached_max_ms']:.3f}), {row['png_bytes']} bytes"
        )
        if row["warm_ms"] > DRAW_TARGET_MS or row["first_ms"] > DRAW_TARGET_MS:
            missed.append(f"{name}: draw")
        if row["cached_max_ms"] > CACHED_TARGET_MS:
            missed.append(f"{name}: cached")
    print()
    print(
        "| chart | cold process (import + draw) | first draw | warm draw (before) | cached | met? |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name, row in results.items():
        met = "yes" if not any(m.startswith(name) for m in missed) else "**no**"
        print(
            f"| {name} | {row['cold_ms']:.0f} ms | {row['first_ms']:.0f} ms | "
            f"{row['warm_ms']:.0f} ms ({row['before_warm_ms']:.0f} ms) | "
            f"{row['cached_ms']:.3f} ms | {met} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
