"""Meter photos in the operator console over HTTP (ADR 0027): the meter's list with what was read
and each photo's SHA-256, the photo itself without EXIF; supplier staff see their supplier's
meters' photos only, and out of scope a photo does not exist. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from PIL import Image

from komunalka.application.readings.read_meter_photo import ReadMeterPhotoRequest
from komunalka.application.shared.actors import Actor
from komunalka.domain.services import Channel
from tests.channels.pages import OPERATOR, SUPPLIER, Site
from tests.channels.test_operator import demo_meter, meter_id
from tests.integration.test_meter_photo_evidence import phone_jpeg

pytestmark = pytest.mark.asyncio


async def sent_photo(site: Site, supplier: str) -> tuple[int, int]:
    """A photo sent for a demo meter of `supplier`: the meter's id and the photo's."""
    meter = demo_meter(site, supplier)
    found = await meter_id(site, supplier, meter.serial)
    uses: Any = site.client._transport.app.state.container.use_cases  # type: ignore[attr-defined]
    actor = Actor.system(Channel.TELEGRAM)
    read = await uses.read_meter_photo(ReadMeterPhotoRequest(actor, found, "T1", phone_jpeg()))
    assert read.photo_id is not None
    return found, read.photo_id


async def test_the_call_center_sees_a_meters_photos_without_exif(site: Site) -> None:
    meter, photo = await sent_photo(site, "kte")
    await site.sign_in_staff(OPERATOR)
    page = await site.get(f"/operator/meters/{meter}/photos")
    assert page.status_code == 200
    shown = await site.get(f"/operator/photos/{photo}")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert hashlib.sha256(shown.content).hexdigest() in page.text
    assert not Image.open(io.BytesIO(shown.content)).getexif()
    assert b"PhoneMaker" not in shown.content


async def test_supplier_staff_see_their_own_meters_photos_only(site: Site) -> None:
    own, own_photo = await sent_photo(site, "kte")
    other, other_photo = await sent_photo(site, "kvk")
    await site.sign_in_staff(SUPPLIER)
    assert (await site.get(f"/operator/meters/{own}/photos")).status_code == 200
    assert (await site.get(f"/operator/photos/{own_photo}")).status_code == 200
    assert (await site.get(f"/operator/meters/{other}/photos")).status_code == 404
    refused = await site.get(f"/operator/photos/{other_photo}")
    assert refused.status_code == 404 and refused.headers["content-type"].startswith("text/html")
    assert (await site.get(f"/operator/photos/{other_photo + 1000}")).status_code == 404


async def test_anonymous_visitors_see_no_photo(site: Site) -> None:
    meter, photo = await sent_photo(site, "kte")
    for path in (f"/operator/meters/{meter}/photos", f"/operator/photos/{photo}"):
        assert (await site.get(path)).status_code == 303


async def test_a_callers_photo_fills_the_operators_form_and_is_kept(site: Site) -> None:
    from komunalka.adapters.db.storage import SqlStorage
    from tests.channels.pages import DISTRICT, text_of
    from tests.channels.test_operator import HOME_DISTRICT, account_id
    from tests.meter_photos import photo_of

    pytest.importorskip("rapidocr")
    meter = demo_meter(site, "kte")
    found = await meter_id(site, "kte", meter.serial)
    account = await account_id(site, "kte", meter.account)
    storage = SqlStorage(site.client._transport.app.state.container.engine)  # type: ignore[attr-defined]
    async with storage():
        (context,) = await storage.meters.contexts([found], lock=False)
    digits, decimals = context.meter.digits, context.meter.decimals
    previous = int(meter.values["T1"][-1])
    await site.sign_in_staff(OPERATOR)
    form = await site.get(f"/operator/accounts/{account}/readings")
    assert f'action="/operator/photo-reads/{account}"' in form.text
    key = f"{found}.T1"
    jpeg = photo_of(previous + 3, digits, decimals).jpeg
    files = {"photo": ("m.jpg", jpeg, "image/jpeg")}
    read = await site.post(f"/operator/photo-reads/{account}", {"key": key}, files=files)
    assert read.status_code == 200, text_of(read.text)
    assert f"На фото: {previous + 3:0{digits}d}." in text_of(read.text)
    assert f'name="value.{key}"' in read.text and f'value="{previous + 3}"' in read.text
    _, kept = await site.client._transport.app.state.container.use_cases.meter_photos.list(  # type: ignore[attr-defined]
        _staff(), found
    )
    assert [p.read_value for p in kept] == [previous + 3]
    files = {"photo": ("m.jpg", b"%PDF", "application/pdf")}
    refused = await site.post(f"/operator/photo-reads/{account}", {"key": key}, files=files)
    assert refused.status_code == 400 and "Це не схоже на фото" in text_of(refused.text)
    outside = demo_meter(site, "kte", district=HOME_DISTRICT, other=True)
    hidden = await account_id(site, "kte", outside.account)
    await site.sign_out()
    await site.sign_in_staff(DISTRICT)
    files = {"photo": ("m.jpg", jpeg, "image/jpeg")}
    elsewhere = await site.post(f"/operator/photo-reads/{hidden}", {"key": key}, files=files)
    assert elsewhere.status_code == 404


def _staff():  # type: ignore[no-untyped-def]
    from komunalka.domain.staff import StaffMember, StaffRole

    return StaffMember(1, "op", "Op", StaffRole.CALL_CENTER)
