"""Meter photos kept as evidence, on SQLite and PostgreSQL: every picture sent for a meter is
kept cleaned (no EXIF, upright, hashed) with what the reader read; staff of the meter's supplier
and operators see it, another supplier's staff do not; the worker forgets photos past their
supplier's retention."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from komunalka.adapters.db.tables import meter_photos
from komunalka.adapters.evidence_images import PillowEvidenceImages
from komunalka.application.readings.photo_reading import NoMeterReader, ReadFailure
from komunalka.application.readings.read_meter_photo import ReadMeterPhotoRequest
from komunalka.application.shared.actors import Actor
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from komunalka.domain.staff import StaffMember, StaffRole
from tests.fakes import FakeClock, kyiv
from tests.meter_photos import photo_of
from tests.world import build_world

OPERATOR = StaffMember(1, "op", "Оператор", StaffRole.CALL_CENTER)
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def phone_jpeg(width: int = 64, height: int = 32) -> bytes:
    """A JPEG as a phone writes it: EXIF with the place it was taken and 'rotate 90° CW'."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (50.0, 27.0, 0.0), 3: "E", 4: (30.0, 31.0, 0.0)})
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_the_kept_picture_has_no_exif_is_upright_and_hashed() -> None:
    upload = phone_jpeg()
    assert b"PhoneMaker" in upload
    kept = PillowEvidenceImages().clean_now(upload)
    assert b"PhoneMaker" not in kept.content and b"Exif" not in kept.content
    image = Image.open(io.BytesIO(kept.content))
    assert not image.getexif() and (image.width, image.height) == (32, 64)
    assert (kept.width, kept.height) == (32, 64)
    assert kept.sha256 == hashlib.sha256(kept.content).hexdigest()


def test_a_big_photo_is_shrunk_and_a_bomb_or_a_non_picture_refused() -> None:
    from komunalka.application.readings.photo_evidence import NotAnImage

    big = io.BytesIO()
    Image.new("RGB", (4000, 3000), (90, 90, 90)).save(big, "JPEG")
    kept = PillowEvidenceImages().clean_now(big.getvalue())
    assert max(kept.width, kept.height) == 2000
    bomb = io.BytesIO()
    Image.new("1", (9000, 9000)).save(bomb, "PNG")  # 81 megapixels in a few kilobytes
    for upload in (bomb.getvalue(), b"%PDF-1.4 not a picture", b""):
        with pytest.raises(NotAnImage):
            PillowEvidenceImages().clean_now(upload)


async def _count(engine) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(meter_photos))).scalar())


async def test_a_photo_is_kept_with_its_read_and_shown_to_staff(uow, engine) -> None:
    world = await build_world(uow)
    clock = FakeClock(kyiv(2026, 11, 20))
    pytest.importorskip("rapidocr")
    from komunalka.adapters.meter_ocr import make_meter_reader

    wiring = Wiring.wire(uow, clock, meter_reader=make_meter_reader())
    actor = Actor.resident(world.resident, Channel.TELEGRAM)
    upload = photo_of(117, 5, 3).jpeg
    read = await wiring.read_meter_photo(
        ReadMeterPhotoRequest(actor, world.hot_water, "T1", upload)
    )
    assert read.value == 117 and read.photo_id is not None
    meter, (info,) = await wiring.meter_photos.list(OPERATOR, world.hot_water)
    assert meter.id == world.hot_water
    assert (info.read_value, info.channel, str(info.period)) == (117, "telegram", "2026-11")
    kte = StaffMember(2, "k", "K", StaffRole.SUPPLIER, supplier_id=world.kte.id)
    yasno = StaffMember(3, "y", "Y", StaffRole.SUPPLIER, supplier_id=world.yasno.id)
    content = await wiring.meter_photos.open(kte, info.id)
    assert hashlib.sha256(content).hexdigest() == info.sha256 == read_sha(content)
    for asks in (lambda: wiring.meter_photos.list(yasno, world.hot_water),
                 lambda: wiring.meter_photos.open(yasno, info.id),
                 lambda: wiring.meter_photos.open(OPERATOR, info.id + 1000)):  # fmt: skip
        with pytest.raises(DomainError) as refused:
            await asks()
        assert refused.value.violations[0].code == "photo.not_found"


def read_sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def test_without_the_reader_the_photo_is_kept_as_evidence_only(uow, engine) -> None:
    world = await build_world(uow)
    wiring = Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20)), meter_reader=NoMeterReader())
    actor = Actor.resident(world.resident, Channel.TELEGRAM)
    read = await wiring.read_meter_photo(
        ReadMeterPhotoRequest(actor, world.hot_water, "T1", phone_jpeg())
    )
    assert (read.value, read.failure) == (None, ReadFailure.UNAVAILABLE)
    _, (info,) = await wiring.meter_photos.list(OPERATOR, world.hot_water)
    assert info.read_value is None and info.id == read.photo_id


async def test_what_is_not_a_picture_or_not_ones_meter_is_not_kept(uow, engine) -> None:
    world = await build_world(uow)
    wiring = Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20)))
    actor = Actor.resident(world.resident, Channel.TELEGRAM)
    read = await wiring.read_meter_photo(
        ReadMeterPhotoRequest(actor, world.hot_water, "T1", b"not a picture")
    )
    assert read.failure is ReadFailure.NOT_A_PHOTO
    for meter, upload in (
        (world.stranger_meter, phone_jpeg()),
        (world.hot_water, b"x" * 10**7 + b"x"),
    ):
        with pytest.raises(DomainError):
            await wiring.read_meter_photo(ReadMeterPhotoRequest(actor, meter, "T1", upload))
    assert await _count(engine) == 0


async def test_photos_past_their_suppliers_retention_are_forgotten(uow, engine) -> None:
    world = await build_world(uow)
    clock = FakeClock(kyiv(2026, 1, 10))
    wiring = Wiring.wire(uow, clock)
    actor = Actor.resident(world.resident, Channel.WEB)
    for meter, zone in ((world.hot_water, "T1"), (world.electricity, "day")):  # kte's, yasno's
        await wiring.read_meter_photo(ReadMeterPhotoRequest(actor, meter, zone, phone_jpeg()))
    with pytest.raises(DomainError):
        await wiring.set_photo_retention("kte", 0)
    with pytest.raises(DomainError):
        await wiring.set_photo_retention("nobody", 30)
    await wiring.set_photo_retention("kte", 30)
    clock.instant += timedelta(days=29)
    assert (await wiring.forget_expired_photos()).forgotten == 0
    clock.instant += timedelta(days=2)
    assert (await wiring.forget_expired_photos()).forgotten == 1  # kte's; yasno keeps 730 days
    _, left = await wiring.meter_photos.list(OPERATOR, world.electricity)
    assert [p.meter_id for p in left] == [world.electricity]
    assert await _count(engine) == 1
    clock.instant += timedelta(days=730)
    assert (await wiring.forget_expired_photos()).forgotten == 1
    assert await _count(engine) == 0


def test_the_retention_is_set_from_the_command_line(engine, database_url, monkeypatch) -> None:
    from typer.testing import CliRunner

    from komunalka.bootstrap.cli import app

    monkeypatch.setenv("KOMUNALKA_DATABASE_URL", database_url)
    runner = CliRunner()
    assert runner.invoke(app, ["demo"]).exit_code == 0
    done = runner.invoke(app, ["photo-retention", "kte", "90"], env={"KOMUNALKA_LANGUAGE": "en"})
    assert done.exit_code == 0 and "kte are kept 90 days" in done.output
    for args in (["kte", "0"], ["nobody", "30"]):
        refused = runner.invoke(app, ["photo-retention", *args], env={"KOMUNALKA_LANGUAGE": "en"})
        assert refused.exit_code == 2
