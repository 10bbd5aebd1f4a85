"""Reading a meter's counter from a photo: OpenCV finds the counter window, straightens it, and
the PP-OCR recognizer that ships inside the ``rapidocr`` wheel reads the crop, digits only.

Why not the whole photo through rapidocr's detector: measured on rendered meters it misses
seven-segment displays and picks up serial numbers (docs/adr/0027-meter-photos.md). Here:

1. candidate windows: dark rectangles (a drum counter's black window, an LCD's bezel) and light
   rectangles inside dark (an LCD panel) of a counter's shape, found as contours;
2. each is warped to a straight strip; red drums (the digits after the comma, not billed) are cut
   off by their colour; on a light panel the row of digits is kept and the small labels dropped;
3. the recognizer's output is decoded over the digits, the point and the comma only (a CTC
   decode restricted to those classes), so a ``B`` cannot come back as an ``8`` by accident;
4. the integer part must have exactly the meter's digit count (a counter shows every drum, an
   LCD its leading zeros); otherwise the read is refused, never guessed.

The models are loaded from the files inside the installed wheel by path, never downloaded. The
work is CPU-bound and runs in a worker thread."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from komunalka.application.readings.photo_reading import (
    MeterRead,
    MeterReader,
    NoMeterReader,
    ReadFailure,
)

MAX_SIDE = 960
REC_HEIGHT = 48
# rapidocr's recognizer emits class 0 for the CTC blank and class i + 1 for character i.
_BLANK = 0


def bundled_model(name: str) -> Path | None:
    """A model file inside the installed rapidocr wheel, or None without the extra."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "models" / name
    return path if path.is_file() else None


REC_MODEL = "PP-OCRv6_rec_small.onnx"


@dataclass(frozen=True, slots=True)
class _Text:
    text: str
    confidence: float


class RapidMeterReader:
    """The `MeterReader` port on rapidocr's bundled recognizer and OpenCV (the ``ocr`` extra)."""

    def __init__(self) -> None:
        import cv2
        import numpy as np
        import onnxruntime as ort

        path = bundled_model(REC_MODEL)
        if path is None:
            raise RuntimeError(f"rapidocr's bundled {REC_MODEL} is not installed")
        self._cv2: Any = cv2
        self._np: Any = np
        options = ort.SessionOptions()
        options.log_severity_level = 4
        self._session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        characters = self._session.get_modelmeta().custom_metadata_map["character"].splitlines()
        wanted = {c: i + 1 for i, c in enumerate(characters) if c in "0123456789.,"}
        self._classes = [_BLANK, *wanted.values()]
        self._labels = ["", *wanted.keys()]

    available = True

    async def read(self, image: bytes, digits: int, decimals: int) -> MeterRead:
        return await asyncio.to_thread(self.read_now, image, digits, decimals)

    def read_now(self, image: bytes, digits: int, decimals: int) -> MeterRead:
        """The counter's billed integer part, or why it was not read."""
        cv2, np = self._cv2, self._np
        bgr = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
        if bgr is None:
            return MeterRead(None, ReadFailure.NOT_A_PHOTO)
        scale = MAX_SIDE / max(bgr.shape[:2])
        if scale < 1:
            bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        best: tuple[float, int] | None = None
        for quad in self._windows(bgr)[:4]:
            strip = self._straighten(bgr, quad)
            crops, cut = self._integer_crops(strip)
            for crop in crops:
                text = self._recognize(crop)
                value = integer_part(text.text, digits, 0 if cut else decimals)
                if value is not None and (best is None or text.confidence > best[0]):
                    best = (text.confidence, value)
            if best is not None and best[0] > 0.9:
                break
        if best is None:
            return MeterRead(None, ReadFailure.UNREADABLE)
        return MeterRead(best[1], None, best[0])

    # -- finding the window ----------------------------------------------------------------

    def _windows(self, bgr: Any) -> list[Any]:
        cv2, np = self._cv2, self._np
        gray = cv2.GaussianBlur(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), (5, 5), 0)
        area = gray.shape[0] * gray.shape[1]
        found: list[tuple[float, Any]] = []
        for mode in (cv2.THRESH_BINARY_INV, cv2.THRESH_BINARY):
            _, mask = cv2.threshold(gray, 0, 255, mode | cv2.THRESH_OTSU)
            mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
            contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
            for contour in contours:
                size = cv2.contourArea(contour)
                if not 0.015 * area <= size <= 0.5 * area:
                    continue
                (_, _), (w, h), _ = rect = cv2.minAreaRect(contour)
                if min(w, h) < 12 or not 2.2 <= max(w, h) / min(w, h) <= 10:
                    continue
                if size / (w * h) < 0.75:
                    continue
                found.append((size, self._quad(contour, rect)))
        found.sort(key=lambda item: -item[0])
        return [quad for _, quad in found]

    def _quad(self, contour: Any, rect: Any) -> Any:
        cv2, np = self._cv2, self._np
        hull = cv2.convexHull(contour)
        poly = cv2.approxPolyDP(hull, 0.03 * cv2.arcLength(hull, True), True)
        points = poly.reshape(-1, 2) if len(poly) == 4 else cv2.boxPoints(rect)
        points = np.array(points, dtype=np.float32)
        s, d = points.sum(axis=1), np.diff(points, axis=1).ravel()
        return np.array(
            [points[s.argmin()], points[d.argmin()], points[s.argmax()], points[d.argmax()]],
            dtype=np.float32,
        )

    def _straighten(self, bgr: Any, quad: Any) -> Any:
        cv2, np = self._cv2, self._np
        tl, tr, br, bl = quad
        width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
        height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
        if width < height:  # held sideways: the counter is always wider than tall
            quad = np.array([bl, tl, tr, br], dtype=np.float32)
            width, height = height, width
        out_h = 96
        out_w = round(out_h * width / height)
        target = np.array(
            [[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]], dtype=np.float32
        )
        matrix = cv2.getPerspectiveTransform(quad, target)
        strip = cv2.warpPerspective(bgr, matrix, (out_w, out_h), flags=cv2.INTER_CUBIC)
        mx, my = max(2, out_w // 60), 5
        return strip[my : out_h - my, mx : out_w - mx]

    # -- the billed part -------------------------------------------------------------------

    def _integer_crops(self, strip: Any) -> tuple[list[Any], bool]:
        """The strip without its red drums (and True: they were cut off); for a light panel, its
        row of digits as well as the whole strip."""
        cv2, np = self._cv2, self._np
        hsv = cv2.cvtColor(strip, cv2.COLOR_BGR2HSV)
        hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
        red = ((hue < 10) | (hue > 165)) & (sat > 90) & (val > 50)
        columns = red.mean(axis=0) > 0.3
        width = strip.shape[1]
        start = int(width * 0.3)
        reds = np.flatnonzero(columns[start:])
        if len(reds) and columns[start + reds[0] : start + reds[0] + width // 30].all():
            return [strip[:, : start + reds[0]]], True
        gray = cv2.cvtColor(strip, cv2.COLOR_BGR2GRAY)
        crops = [strip]
        if np.median(gray) > 110:  # dark digits on a light panel: keep the tallest row of ink
            _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
            rows = (ink > 0).mean(axis=1) > 0.04
            band = _longest_run(list(rows))
            if band is not None and band[1] - band[0] > strip.shape[0] // 3:
                top, bottom = max(0, band[0] - 4), min(strip.shape[0], band[1] + 4)
                crops.insert(0, strip[top:bottom])
        return crops, False

    def _recognize(self, crop: Any) -> _Text:
        cv2, np = self._cv2, self._np
        h, w = crop.shape[:2]
        width = max(REC_HEIGHT, min(1280, round(REC_HEIGHT * w / h)))
        pixels = cv2.resize(crop, (width, REC_HEIGHT), interpolation=cv2.INTER_AREA)
        tensor = (pixels.astype(np.float32).transpose(2, 0, 1) / 255 - 0.5) / 0.5
        pad = np.zeros((3, REC_HEIGHT, width + REC_HEIGHT // 2), dtype=np.float32)
        pad[:, :, :width] = tensor
        probs = self._session.run(None, {"x": pad[None]})[0][0]
        ours = probs[:, self._classes]
        picks = ours.argmax(axis=1)
        text, confidences, last = [], [], 0
        for step, pick in enumerate(picks):
            if pick != last and pick != 0:
                text.append(self._labels[pick])
                confidences.append(float(ours[step, pick] / max(probs[step].max(), 1e-6)))
            last = pick
        confidence = min(confidences) if confidences else 0.0
        return _Text("".join(text), confidence)


def _longest_run(flags: list[bool]) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    start = None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if best is None or i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def integer_part(text: str, digits: int, decimals: int) -> int | None:
    """The billed integer part of what the recognizer read, if it fits the meter: exactly
    `digits` digits before a point or comma, or exactly `digits` + `decimals` digits without one
    (a missed point). With `decimals` shown, `digits` digits alone are refused: a digit was lost
    at one end or the other, and which one cannot be told."""
    text = text.replace(",", ".").strip(".")
    if text.count(".") > 1:
        return None
    whole, _, fraction = text.partition(".")
    if "." in text:
        ok = len(whole) == digits and len(fraction) <= max(decimals, 1) + 1
    else:
        ok = len(whole) == digits + decimals
        whole = whole[:digits]
    if not ok or not whole.isdigit() or not whole.isascii():
        return None
    return int(whole)


class LazyMeterReader:
    """`RapidMeterReader`, made at the first photo (in a worker thread): loading the model takes
    a fraction of a second and most processes never read a photo (`komunalka serve` starts as
    fast as before)."""

    available = True

    def __init__(self) -> None:
        self._reader: RapidMeterReader | None = None
        self._lock = threading.Lock()

    async def read(self, image: bytes, digits: int, decimals: int) -> MeterRead:
        return await asyncio.to_thread(self._read, image, digits, decimals)

    def _read(self, image: bytes, digits: int, decimals: int) -> MeterRead:
        with self._lock:
            if self._reader is None:
                self._reader = RapidMeterReader()
        return self._reader.read_now(image, digits, decimals)


def make_meter_reader() -> MeterReader:
    """The reader if the ``ocr`` extra is installed; otherwise one that says "unavailable"."""
    for module in ("cv2", "onnxruntime", "rapidocr"):
        if importlib.util.find_spec(module) is None:
            return NoMeterReader()
    if bundled_model(REC_MODEL) is None:
        return NoMeterReader()
    return LazyMeterReader()
