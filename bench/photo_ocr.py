"""Reading meters from photos: accuracy and seconds per photo on the rendered set.

    python bench/photo_ocr.py [--count 180] [--reference-count 20] [--json REPORT.json]

Renders `count` drum counters and `count` seven-segment LCDs (tests/meter_photos.py, the fixed
seed of the regression test, a third clean and the rest phone-like) and reads each with the
project's reader (komunalka.adapters.meter_ocr: OpenCV finds and straightens the counter window,
rapidocr's bundled recognizer reads the crop). A read is offered to the resident only if it
passes the previous-reading checks (a previous reading a little below the true value, as the
regression test builds it), so the report counts: exact, refused ("retake or type it": nothing
read, or the checks failed), and wrong values offered (must be 0).

The reference, in the same run: rapidocr's own pipeline (detector, classifier, recognizer) on the
whole photo, its bundled models by path, on the first `reference-count` photos of each kind;
counted right when one of its lines starts with the counter's integer part. Both run in this
process, one photo at a time, after one warm-up read each; seconds per photo are wall time.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.meter_photos import MeterPhoto, regression_set
from tests.unit.readings.test_meter_photos import PERIOD, _meter_and_history

from komunalka.adapters.meter_ocr import RapidMeterReader, bundled_model
from komunalka.application.readings.photo_reading import photo_read_violations

TARGET_SECONDS = 0.5


def reference_engine() -> Any:
    from rapidocr import RapidOCR

    models = {
        "Det.model_path": bundled_model("PP-OCRv6_det_small.onnx"),
        "Rec.model_path": bundled_model("PP-OCRv6_rec_small.onnx"),
        "Cls.model_path": bundled_model("ch_ppocr_mobile_v2.0_cls_mobile.onnx"),
    }
    if None in models.values():
        raise SystemExit("rapidocr's bundled models are missing")
    params: dict[str, Any] = {key: str(path) for key, path in models.items()}
    params["Global.log_level"] = "critical"
    return RapidOCR(params=params)


def ours(reader: RapidMeterReader, photos: list[MeterPhoto]) -> dict[str, Any]:
    rng = random.Random(7)
    counts: dict[str, dict[str, int]] = {}
    seconds: list[float] = []
    for photo in photos:
        start = time.perf_counter()
        read = reader.read_now(photo.jpeg, photo.digits, photo.decimals)
        seconds.append(time.perf_counter() - start)
        meter, history = _meter_and_history(photo, rng)
        row = counts.setdefault(photo.kind, {"photos": 0, "exact": 0, "refused": 0, "wrong": 0})
        row["photos"] += 1
        if read.value is None or photo_read_violations(meter, "T1", read.value, PERIOD, history):
            row["refused"] += 1
        elif read.value == photo.value:
            row["exact"] += 1
        else:
            row["wrong"] += 1
    return {"kinds": counts, **_timing(seconds)}


def reference(engine: Any, photos: list[MeterPhoto]) -> dict[str, Any]:
    counts: dict[str, dict[str, int]] = {}
    seconds: list[float] = []
    for photo in photos:
        start = time.perf_counter()
        result = engine(photo.jpeg)
        seconds.append(time.perf_counter() - start)
        lines = [
            "".join(c for c in text if c.isdigit())
            for text in (getattr(result, "txts", None) or ())
        ]
        row = counts.setdefault(photo.kind, {"photos": 0, "exact": 0})
        row["photos"] += 1
        row["exact"] += any(line.startswith(photo.shown) for line in lines)
    return {"kinds": counts, **_timing(seconds)}


def _timing(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "mean_s": statistics.fmean(seconds),
        "p50_s": ordered[len(ordered) // 2],
        "max_s": ordered[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=180)
    parser.add_argument("--reference-count", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    photos = regression_set(args.count)
    reader = RapidMeterReader()
    reader.read_now(photos[0].jpeg, photos[0].digits, photos[0].decimals)
    result = {"ours": ours(reader, photos)}
    n = args.reference_count
    sample = [p for p in photos if p.kind == "drum"][:n] + [p for p in photos if p.kind == "lcd"][
        :n
    ]
    if sample:
        engine = reference_engine()
        engine(sample[0].jpeg)
        result["reference"] = reference(engine, sample)
    for name, part in result.items():
        timing = f"p50 {part['p50_s']:.3f}, max {part['max_s']:.3f}"
        print(f"{name}: {part['mean_s']:.3f} s a photo ({timing})")
        for kind, row in part["kinds"].items():
            share = row["exact"] / row["photos"]
            extra = "".join(f", {k} {row[k]}" for k in ("refused", "wrong") if k in row)
            print(f"  {kind}: {row['exact']}/{row['photos']} exact ({share:.1%}){extra}")
    met = result["ours"]["mean_s"] <= TARGET_SECONDS and all(
        row["wrong"] == 0 for row in result["ours"]["kinds"].values()
    )
    verdict = "met" if met else "NOT met"
    print(f"target <= {TARGET_SECONDS} s a photo and no wrong value offered: {verdict}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
