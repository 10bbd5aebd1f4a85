"""A photo of the meter in the resident cabinet over HTTP (ADR 0027): the photo is read and the
value filled into the readings form for the resident to check and send; nothing is submitted
before they send the form; a photo that cannot be read says why and fills nothing. On SQLite and
PostgreSQL."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select

from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import meter_photos, readings
from tests.channels.pages import Site, text_of
from tests.channels.test_cabinet import count, form_of, link, registers, sign_up
from tests.meter_photos import photo_of

pytestmark = pytest.mark.asyncio
pytest.importorskip("rapidocr", reason="the ocr extra (./dev installs it)")


async def due_register(site: Site) -> tuple[dict[str, str], str, int, int, int]:
    """The form, its first register, that meter's digits and decimals and its previous value."""
    await sign_up(site)
    await link(site, 4, "kte")
    fields = form_of((await site.get("/readings")).text)
    key = registers(fields)[0]
    storage = SqlStorage(site.client._transport.app.state.container.engine)  # type: ignore[attr-defined]
    async with storage():
        (context,) = await storage.meters.contexts([int(key.split(".")[0])], lock=False)
    previous = int(Decimal(fields[f"prev.{key}"]))
    return fields, key, context.meter.digits, context.meter.decimals, previous


async def upload(site: Site, key: str, content: bytes):  # type: ignore[no-untyped-def]
    files = {"photo": ("meter.jpg", content, "image/jpeg")}
    return await site.post("/readings/photo", {"key": key}, files=files)


async def test_a_photo_fills_the_value_in_and_only_the_form_sends_it(site: Site) -> None:
    _, key, digits, decimals, previous = await due_register(site)
    before = await count(site, readings)
    answer = await upload(site, key, photo_of(previous + 2, digits, decimals).jpeg)
    assert answer.status_code == 200, text_of(answer.text)
    shown = f"{previous + 2:0{digits}d}"
    assert f"На фото: {shown}." in text_of(answer.text)
    assert (
        f'name="v.{key}" type="text" inputmode="decimal" autocomplete="off" value="{previous + 2}"'
        in answer.text
    )
    assert await count(site, readings) == before  # read, not sent
    assert await count(site, meter_photos) == 1  # kept as evidence
    filled = form_of(answer.text)
    filled[f"v.{key}"] = str(previous + 2)
    sent = await site.post("/readings", filled)
    assert "Показники прийнято" in text_of(sent.text)
    assert await count(site, readings) == before + 1


async def test_a_photo_that_cannot_be_read_says_why_and_fills_nothing(site: Site) -> None:
    _, key, *_ = await due_register(site)
    blank = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 130, 140)).save(blank, "JPEG")
    answer = await upload(site, key, blank.getvalue())
    assert answer.status_code == 400
    assert "Сфотографуйте його ближче й прямо" in text_of(answer.text)
    assert re.search(rf'name="v\.{re.escape(key)}"[^>]*value=""', answer.text)
    answer = await upload(site, key, b"%PDF-1.4")
    assert answer.status_code == 400 and "Це не схоже на фото" in text_of(answer.text)
    answer = await upload(site, "999.T1", blank.getvalue())  # no such due register
    assert answer.status_code == 400 and "Виберіть лічильник і фото" in text_of(answer.text)
    async with site.client._transport.app.state.container.engine.connect() as conn:  # type: ignore[attr-defined]
        kept = (await conn.execute(select(func.count()).select_from(meter_photos))).scalar()
    assert kept == 1  # the blank photo; neither the PDF nor the one for no meter
