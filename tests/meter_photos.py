"""Rendered photos of meters for the photo-reading regression set and its benchmark.

Two kinds of counters: drum counters (water, gas: white digits on black drums, the digits after
the comma on red drums) and seven-segment LCDs (electricity: dark segments on a grey-green panel,
the switched-off segments faintly visible, a decimal point). Around the counter there are the
things a real meter face carries and a reader must not take for the reading: the serial number,
the year, the unit, the nominal flow or current. A phone-like photo adds what hands and windows
do: perspective, a tilt, blur, glare, uneven light, noise and JPEG.

Everything comes from a seeded ``random.Random``: the same seed renders the same photos, byte for
byte, on any machine with the same Pillow and OpenCV (the fonts are matplotlib's DejaVu, which
ships with the project's dependencies)."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
W, H = 800, 600  # the canvas before the photo is taken
OUT_W, OUT_H = 640, 480


@dataclass(frozen=True, slots=True)
class MeterPhoto:
    kind: str  # "drum" or "lcd"
    value: int  # the billed integer part shown
    digits: int  # integer digits on the counter
    decimals: int  # digits after the comma (red drums, or after the LCD's point)
    phone: bool  # phone-like (perspective, blur, glare, JPEG) or clean
    jpeg: bytes

    @property
    def shown(self) -> str:
        return f"{self.value:0{self.digits}d}"


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


def _serial(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789") for _ in range(rng.choice((8, 9, 10))))


def _labels(rng: random.Random, kind: str) -> list[str]:
    year = str(rng.randint(2008, 2025))
    if kind == "drum":
        pool = ["m³", "DN15", "DN20", f"Qn {rng.choice(('1.5', '2.5'))} m³/h", "Class C", "MID"]
    else:
        pool = ["220V 5(60)A", "50 Hz", f"{rng.choice((1000, 1600, 3200))} imp/kWh", "Class 1"]
    return [f"№ {_serial(rng)}", year, *rng.sample(pool, 3)]


def _face(rng: random.Random, kind: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    wall = tuple(rng.randint(60, 200) for _ in range(3))
    img = Image.new("RGB", (W, H), wall)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(img)
    light = rng.randint(205, 240)
    face = (light, light - rng.randint(0, 10), light - rng.randint(0, 20))
    if kind == "drum":
        draw.ellipse((60, 10, W - 60, H - 10), fill=face, outline=(40, 40, 40), width=6)
    else:
        draw.rounded_rectangle(
            (60, 20, W - 60, H - 20), 30, fill=face, outline=(90, 90, 90), width=4
        )
    return img, draw


def _draw_labels(
    draw: ImageDraw.ImageDraw, rng: random.Random, kind: str, window_bottom: int
) -> None:
    labels = _labels(rng, kind)
    spots = [
        (250, window_bottom + 30),
        (210, 90),
        (430, window_bottom + 90),
        (300, window_bottom + 150),
        (470, 90),
    ]
    for text, (x, y) in zip(labels, spots, strict=False):
        size = rng.randint(22, 34) if text.startswith("№") else rng.randint(18, 28)
        font = _font(
            rng.choice(("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf")), size
        )
        draw.text(
            (x + rng.randint(-15, 15), y + rng.randint(-8, 8)), text, fill=(30, 30, 30), font=font
        )


def _drums(rng: random.Random, value: int, digits: int, decimals: int) -> Image.Image:
    img, draw = _face(rng, "drum")
    cell_w, cell_h = rng.randint(44, 52), rng.randint(66, 78)
    gap = rng.randint(3, 6)
    total = digits + decimals
    width = total * (cell_w + gap) + gap + 12
    x0 = (W - width) // 2 + rng.randint(-20, 20)
    y0 = 200 + rng.randint(-20, 20)
    draw.rectangle((x0, y0, x0 + width, y0 + cell_h + 16), fill=(18, 18, 18))
    font = _font(
        rng.choice(("DejaVuSans-Bold.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSans.ttf")),
        int(cell_h * 0.72),
    )
    text = f"{value:0{digits}d}" + "".join(rng.choice("0123456789") for _ in range(decimals))
    for i, ch in enumerate(text):
        cx = x0 + 6 + gap + i * (cell_w + gap)
        red = i >= digits
        drum = (150, 20, 25) if red else (35, 35, 38)
        cell = Image.new("RGB", (cell_w, cell_h), drum)
        cd = ImageDraw.Draw(cell)
        # the drum's curve: darker towards its top and bottom
        for row in range(cell_h):
            shade = abs(row - cell_h / 2) / (cell_h / 2)
            k = 1 - 0.55 * shade**2
            cd.line((0, row, cell_w, row), fill=tuple(int(c * k) for c in drum))
        offset = 0
        if red and i == total - 1 and rng.random() < 0.5:
            offset = rng.randint(-cell_h // 2, cell_h // 2)  # the last red drum caught mid-roll
        for shift, digit in ((offset, ch), (offset - cell_h, str((int(ch) + 1) % 10))):
            box = cd.textbbox((0, 0), digit, font=font)
            tx = (cell_w - (box[2] - box[0])) // 2 - box[0]
            ty = (cell_h - (box[3] - box[1])) // 2 - box[1] + shift
            cd.text((tx, ty), digit, fill=(235, 235, 230), font=font)
        img.paste(cell, (cx, y0 + 8))
    _draw_labels(draw, rng, "drum", y0 + cell_h + 16)
    return img


# Seven segments: a top, b upper right, c lower right, d bottom, e lower left, f upper left,
# g middle.
SEGMENTS = {
    "0": "abcdef", "1": "bc", "2": "abdeg", "3": "abcdg", "4": "bcfg",
    "5": "acdfg", "6": "acdefg", "7": "abc", "8": "abcdefg", "9": "abcdfg",
}  # fmt: skip


def _segment(
    seg: str, x: float, y: float, w: float, h: float, t: float
) -> list[tuple[float, float]]:
    half = h / 2
    s = t / 2
    horizontal = {"a": y, "g": y + half, "d": y + h}
    if seg in horizontal:
        yy = horizontal[seg]
        return [
            (x + s, yy),
            (x + t, yy - s),
            (x + w - t, yy - s),
            (x + w - s, yy),
            (x + w - t, yy + s),
            (x + t, yy + s),
        ]
    xx = x + w if seg in "bc" else x
    top = y if seg in "bf" else y + half
    return [
        (xx, top + s),
        (xx + s, top + t),
        (xx + s, top + half - t),
        (xx, top + half - s),
        (xx - s, top + half - t),
        (xx - s, top + t),
    ]


def _lcd(rng: random.Random, value: int, digits: int, decimals: int) -> Image.Image:
    img, draw = _face(rng, "lcd")
    total = digits + decimals
    dw, dh = rng.randint(34, 40), rng.randint(62, 74)
    pitch = dw + rng.randint(14, 20)
    t = rng.uniform(6.5, 9.0)
    width = total * pitch + 70
    x0 = (W - width) // 2 + rng.randint(-20, 20)
    y0 = 190 + rng.randint(-20, 20)
    panel_h = dh + 50
    draw.rounded_rectangle(
        (x0 - 14, y0 - 14, x0 + width + 14, y0 + panel_h + 14), 8, fill=(25, 25, 28)
    )
    base = (rng.randint(160, 185), rng.randint(175, 198), rng.randint(150, 170))
    draw.rectangle((x0, y0, x0 + width, y0 + panel_h), fill=base)
    on = (rng.randint(25, 50),) * 3
    ghost = tuple(c - rng.randint(8, 18) for c in base)
    text = f"{value:0{digits}d}" + "".join(rng.choice("0123456789") for _ in range(decimals))
    slant = rng.uniform(0, 0.12)
    for i, ch in enumerate(text):
        x = x0 + 25 + i * pitch
        y = y0 + 25
        for seg in "abcdefg":
            poly = [(px + slant * (y + dh - py), py) for px, py in _segment(seg, x, y, dw, dh, t)]
            draw.polygon(poly, fill=on if seg in SEGMENTS[ch] else ghost)
        if i == digits - 1 and decimals:
            dx = x + dw + (pitch - dw) / 2
            draw.rectangle((dx - 3, y + dh - 4, dx + 4, y + dh + 3), fill=on)
    small = _font("DejaVuSans-Bold.ttf", 16)
    draw.text((x0 + width - 48, y0 + 4), "kWh", fill=on, font=small)
    draw.text((x0 + 6, y0 + 4), rng.choice(("T1", "Σ", "8.8.0")), fill=on, font=small)
    _draw_labels(draw, rng, "lcd", y0 + panel_h + 14)
    return img


def _photograph(rng: random.Random, img: Image.Image, phone: bool) -> bytes:
    arr = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)
    if phone:
        src = np.float32([[0, 0], [W, 0], [W, H], [0, H]])
        j = 0.07
        dst = np.float32([[x + rng.uniform(-j, j) * W, y + rng.uniform(-j, j) * H] for x, y in src])
        angle = rng.uniform(-8, 8)
        rot = cv2.getRotationMatrix2D((W / 2, H / 2), angle, rng.uniform(0.85, 1.05))
        dst = cv2.transform(dst.reshape(-1, 1, 2), rot).reshape(-1, 2).astype(np.float32)
        matrix = cv2.getPerspectiveTransform(src, dst)
        arr = cv2.warpPerspective(arr, matrix, (W, H), borderMode=cv2.BORDER_REPLICATE)
        # uneven light: a gradient across the photo
        gx = np.linspace(rng.uniform(0.7, 1.0), rng.uniform(0.9, 1.15), W, dtype=np.float32)
        light = np.tile(gx, (H, 1))[..., None]
        f = arr.astype(np.float32) * light * rng.uniform(0.8, 1.1)
        # glare: a bright soft spot somewhere
        if rng.random() < 0.6:
            cx, cy = rng.uniform(0.2, 0.8) * W, rng.uniform(0.2, 0.8) * H
            r = rng.uniform(40, 120)
            yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
            spot = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))[..., None]
            f = f + spot * rng.uniform(60, 140)
        noise = np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(2, 7), f.shape)
        arr = np.clip(f + noise, 0, 255).astype(np.uint8)
        sigma = rng.uniform(0.3, 1.6)
        arr = cv2.GaussianBlur(arr, (0, 0), sigma)
        quality = rng.randint(35, 80)
    else:
        quality = 92
    arr = cv2.resize(arr, (OUT_W, OUT_H), interpolation=cv2.INTER_AREA)
    out = io.BytesIO()
    Image.fromarray(cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)).save(out, "JPEG", quality=quality)
    return out.getvalue()


def render(rng: random.Random, kind: str, phone: bool) -> MeterPhoto:
    digits = rng.choice((5, 5, 6)) if kind == "drum" else rng.choice((5, 6, 6))
    decimals = rng.choice((3, 3, 2)) if kind == "drum" else rng.choice((1, 1, 2))
    value = rng.randrange(10**digits) if rng.random() < 0.5 else rng.randrange(10 ** (digits - 2))
    img = (
        _drums(rng, value, digits, decimals)
        if kind == "drum"
        else _lcd(rng, value, digits, decimals)
    )
    return MeterPhoto(kind, value, digits, decimals, phone, _photograph(rng, img, phone))


def photo_of(
    value: int,
    digits: int,
    decimals: int,
    *,
    kind: str = "drum",
    seed: int = 1,
    phone: bool = False,
) -> MeterPhoto:
    """One meter showing `value`, for a door's test."""
    rng = random.Random(seed)
    draw = _drums if kind == "drum" else _lcd
    img = draw(rng, value, digits, decimals)
    return MeterPhoto(kind, value, digits, decimals, phone, _photograph(rng, img, phone))


def regression_set(count: int, seed: int = 20261129) -> list[MeterPhoto]:
    """`count` drum photos and `count` LCD photos, a third of each clean, the rest phone-like."""
    rng = random.Random(seed)
    return [render(rng, kind, phone=i % 3 != 0) for kind in ("drum", "lcd") for i in range(count)]


if __name__ == "__main__":  # render a few to look at: python -m tests.meter_photos DIR
    import sys

    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    for n, photo in enumerate(regression_set(6)):
        (target / f"{n:02d}-{photo.kind}-{photo.shown}.jpg").write_bytes(photo.jpeg)
