"""The photo reader on the rendered regression set (tests/meter_photos.py, a fixed seed): drum
counters and seven-segment LCDs, clean and phone-like. A read is offered to the resident only if
it passes the previous-reading checks; a wrong value must never get that far."""

from __future__ import annotations

import random
import socket
from decimal import Decimal

import pytest

from komunalka.application.readings.photo_reading import (
    NoMeterReader,
    ReadFailure,
    photo_read_violations,
    shown,
)
from komunalka.domain.meters import Meter
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import PastValue
from komunalka.domain.services import Service
from tests.meter_photos import MeterPhoto, regression_set

pytest.importorskip("rapidocr", reason="the ocr extra (./dev installs it)")
pytest.importorskip("cv2", reason="the ocr extra (./dev installs it)")

from komunalka.adapters import meter_ocr
from komunalka.adapters.meter_ocr import RapidMeterReader, integer_part

PERIOD = BillingPeriod(2026, 11)
SET_SIZE = 30  # per kind; bench/photo_ocr.py reads 180 + 180


@pytest.fixture(scope="module")
def reader() -> RapidMeterReader:
    return RapidMeterReader()


def _meter_and_history(photo: MeterPhoto, rng: random.Random) -> tuple[Meter, list[PastValue]]:
    service = Service.COLD_WATER if photo.kind == "drum" else Service.ELECTRICITY
    usual = rng.uniform(3, 9) if photo.kind == "drum" else rng.uniform(80, 300)
    previous = max(0, photo.value - int(usual * rng.uniform(0.3, 1.6)))
    older = max(0, previous - int(usual))
    meter = Meter(1, 1, service, "S1", ("T1",), photo.digits, photo.decimals)
    history = [
        PastValue(BillingPeriod(2026, 9), Decimal(older)),
        PastValue(BillingPeriod(2026, 10), Decimal(previous) + Decimal("0.375")),
    ]
    return meter, history


def test_the_regression_set_is_read_and_no_wrong_value_passes_the_checks(
    reader: RapidMeterReader,
) -> None:
    rng = random.Random(7)
    right = {"drum": 0, "lcd": 0}
    wrong_offered = []
    for photo in regression_set(SET_SIZE):
        read = reader.read_now(photo.jpeg, photo.digits, photo.decimals)
        meter, history = _meter_and_history(photo, rng)
        if read.value is None:
            assert read.failure is ReadFailure.UNREADABLE
            continue
        if photo_read_violations(meter, "T1", read.value, PERIOD, history):
            continue  # "retake or type it"
        if read.value == photo.value:
            right[photo.kind] += 1
        else:
            wrong_offered.append((photo.kind, photo.shown, shown(read.value, photo.digits)))
    assert wrong_offered == []
    assert right["drum"] >= 0.95 * SET_SIZE
    assert right["lcd"] >= 0.85 * SET_SIZE


def test_a_wrong_read_fails_the_previous_reading_checks() -> None:
    meter = Meter(1, 1, Service.COLD_WATER, "S1", ("T1",), 5, 3)
    history = [
        PastValue(BillingPeriod(2026, 9), Decimal(1200)),
        PastValue(BillingPeriod(2026, 10), Decimal("1206.5")),
    ]
    assert photo_read_violations(meter, "T1", 1211, PERIOD, history) == []
    assert photo_read_violations(meter, "T1", 1206, PERIOD, history) == []  # the same drums
    codes = [v.code for v in photo_read_violations(meter, "T1", 1106, PERIOD, history)]
    assert codes == ["reading.below_previous"]
    codes = [v.code for v in photo_read_violations(meter, "T1", 8211, PERIOD, history)]
    assert codes == ["reading.jump"]


@pytest.mark.parametrize(
    ("text", "digits", "decimals", "value"),
    [
        ("01234", 5, 0, 1234),
        ("01234.5", 5, 1, 1234),
        ("01234,56", 5, 2, 1234),
        ("0123456", 5, 2, 1234),  # the point was missed, every digit is there
        ("01234", 5, 2, None),  # a digit lost at one end or the other
        ("1234.5", 5, 1, None),  # too few drums before the point
        ("012345.6", 5, 1, None),
        ("01.23.4", 5, 1, None),
        ("", 5, 1, None),
    ],
)
def test_only_an_integer_part_of_the_meters_digit_count_is_read(
    text: str, digits: int, decimals: int, value: int | None
) -> None:
    assert integer_part(text, digits, decimals) == value


def test_a_photo_that_is_not_an_image_is_refused(reader: RapidMeterReader) -> None:
    read = reader.read_now(b"GIF89a not really", 5, 3)
    assert (read.value, read.failure) == (None, ReadFailure.NOT_A_PHOTO)


def test_a_photo_without_a_counter_asks_for_a_closer_one(reader: RapidMeterReader) -> None:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 180, 160)).save(out, "JPEG")
    read = reader.read_now(out.getvalue(), 5, 3)
    assert (read.value, read.failure) == (None, ReadFailure.UNREADABLE)


def test_the_reader_loads_and_reads_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    photo = regression_set(1)[0]
    read = RapidMeterReader().read_now(photo.jpeg, photo.digits, photo.decimals)
    assert read.value == photo.value


async def test_without_the_extra_the_reader_says_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(meter_ocr, "bundled_model", lambda name: None)
    assert meter_ocr.make_meter_reader().available is False
    read = await NoMeterReader().read(b"\xff\xd8", 5, 3)
    assert (read.value, read.failure) == (None, ReadFailure.UNAVAILABLE)
