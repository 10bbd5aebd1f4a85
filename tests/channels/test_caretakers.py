"""Caretakers through the cabinet over HTTP: a resident invites a relative with a one-time code,
the relative sends readings on the resident's behalf (audited as such), and the resident ends
it, which stops the next reading at once; codes work once, expire, and wrong ones are limited.
On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from sqlalchemy import Table, select

from komunalka.adapters.db.tables import (
    audit_log,
    caretakers,
    meters,
    outbox,
    readings,
    residents,
)
from komunalka.application.system.load_demo import DEMO_RESIDENT
from tests.channels.pages import OPERATOR, RESIDENT, Site, text_of
from tests.channels.test_cabinet import bumped, form_of, registers, sign_up

OLENA = "olena@example.com"


async def rows(site: Site, table: Table, *where: object) -> list[object]:
    engine = site.client._transport.app.state.container.engine  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        return list((await conn.execute(select(table).where(*where))).all())  # type: ignore[arg-type]


@asynccontextmanager
async def browser(site: Site) -> AsyncIterator[Site]:
    """Another person's browser on the same site: cookies of its own."""
    transport = site.client._transport
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
        yield Site(client, site.use_cases, site.clock, site.demo)


async def invite(site: Site) -> str:
    page = await site.post("/care/invite")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    code = re.search(r'id="care-code">([0-9A-Z]{5}-[0-9A-Z]{5})<', page.text)
    assert code is not None, text_of(page.text)
    return code[1]


async def resident_id(site: Site, name: str) -> int:
    (row,) = await rows(site, residents, residents.c.name == name)
    return int(row.id)  # type: ignore[attr-defined]


async def cared(site: Site) -> tuple[Site, int, int]:
    """The demo resident invites Olena (signed up in `site`), who accepts; the demo resident's
    browser, their id and Olena's."""
    await sign_up(site)
    async with browser(site) as demo:
        await demo.sign_in()
        code = await invite(demo)
    accepted = await site.post("/care/accept", {"code": code})
    assert accepted.status_code == 303, text_of(accepted.text)
    assert accepted.headers["location"] == "/profile?done=care_started"
    return site, await resident_id(site, DEMO_RESIDENT), await resident_id(site, "Олена Ткаченко")


async def test_an_accepted_code_shows_on_both_profiles_masked_and_tells_the_resident(
    site: Site,
) -> None:
    _, demo_id, olena_id = await cared(site)
    mine = text_of((await site.get("/profile?done=care_started")).text)
    assert "тепер ви можете передавати показники за цю людину" in mine
    assert "Ви передаєте показники за:" in mine and "Дем* М., з 20.11.2026" in mine
    async with browser(site) as demo:
        await demo.sign_in()
        theirs = text_of((await demo.get("/profile")).text)
    assert "Передають показники за вас:" in theirs and "Оле** Т., з 20.11.2026" in theirs
    assert "Ткаченко" not in theirs
    (row,) = await rows(site, caretakers)
    assert (row.resident_id, row.caretaker_id, row.ended_at) == (demo_id, olena_id, None)  # type: ignore[attr-defined]
    told = await rows(site, outbox, outbox.c.recipient == RESIDENT)
    assert [t.subject for t in told] == ["Помічник тепер передає показники за вас"]  # type: ignore[attr-defined]
    started = await rows(site, audit_log, audit_log.c.action == "caretaker.start")
    assert [(e.actor_id, e.subject) for e in started] == [(olena_id, f"resident:{demo_id}")]  # type: ignore[attr-defined]


async def test_a_caretakers_readings_go_on_behalf_of_the_resident_and_are_audited_so(
    site: Site,
) -> None:
    _, demo_id, olena_id = await cared(site)
    page = await site.get(f"/care/{demo_id}/readings")
    assert page.status_code == 200
    assert "Ви передаєте показники за: Дем* М." in text_of(page.text)
    assert f'action="/care/{demo_id}/readings"' in page.text
    fields = form_of(page.text)
    keys = registers(fields)
    assert keys  # the demo resident's due meters, not Olena's (she has none)
    for key in keys:
        fields[f"v.{key}"] = bumped(fields, key)
    sent = await site.post(f"/care/{demo_id}/readings", fields)
    assert sent.status_code == 200, text_of(sent.text)
    assert "Показники прийнято" in text_of(sent.text) and "Передано за: Дем* М." in sent.text
    assert len(await rows(site, readings, readings.c.status == "accepted")) > 0
    by_olena = await rows(site, audit_log, audit_log.c.actor_id == olena_id)
    submits = [e for e in by_olena if e.action == "readings.submit"]  # type: ignore[attr-defined]
    assert len(submits) == 1
    assert all(e.on_behalf_of == demo_id for e in submits)  # type: ignore[attr-defined]
    again = await site.post(f"/care/{demo_id}/readings", fields)  # the browser's resend
    assert again.status_code == 200
    by_olena = await rows(site, audit_log, audit_log.c.action == "readings.submit")
    assert len([e for e in by_olena if e.actor_id == olena_id]) == 1  # type: ignore[attr-defined]


async def test_an_ended_caretaker_can_no_longer_send(site: Site) -> None:
    _, demo_id, olena_id = await cared(site)
    fields = form_of((await site.get(f"/care/{demo_id}/readings")).text)
    for key in registers(fields):
        fields[f"v.{key}"] = bumped(fields, key)
    async with browser(site) as demo:
        await demo.sign_in()
        profile = await demo.get("/profile")
        assert f'action="/care/{olena_id}/end"' in profile.text
        ended = await demo.post(f"/care/{olena_id}/end")
        assert ended.headers["location"] == "/profile?done=care_ended"
    before = len(await rows(site, readings))
    assert (await site.get(f"/care/{demo_id}/readings")).status_code == 404
    assert (await site.post(f"/care/{demo_id}/readings", fields)).status_code == 404
    assert len(await rows(site, readings)) == before
    (row,) = await rows(site, caretakers)
    assert row.ended_at is not None  # type: ignore[attr-defined]
    (entry,) = await rows(site, audit_log, audit_log.c.action == "caretaker.end")
    assert (entry.actor_id, entry.subject) == (demo_id, f"resident:{demo_id}")  # type: ignore[attr-defined]
    told = await rows(site, outbox, outbox.c.recipient == OLENA)
    assert [t.subject for t in told] == ["Допомогу з показниками завершено"]  # type: ignore[attr-defined]
    assert (await site.post(f"/care/{olena_id}/end")).status_code == 404  # nothing left to end


async def test_the_caretaker_may_stop_too(site: Site) -> None:
    _, demo_id, _ = await cared(site)
    stopped = await site.post(f"/care/{demo_id}/end")
    assert stopped.headers["location"] == "/profile?done=care_ended"
    assert (await site.get(f"/care/{demo_id}/readings")).status_code == 404


async def test_nobody_else_may_send_for_a_resident(site: Site) -> None:
    await sign_up(site)  # no caretaking at all
    demo_id = await resident_id(site, DEMO_RESIDENT)
    before = len(await rows(site, readings))
    assert (await site.get(f"/care/{demo_id}/readings")).status_code == 404
    forged = await site.post(f"/care/{demo_id}/readings", {"client_key": "k", "v.1.T1": "1"})
    assert forged.status_code == 404
    assert (await site.get("/care/999999/readings")).status_code == 404
    assert len(await rows(site, readings)) == before


async def test_a_code_works_once(site: Site) -> None:
    await sign_up(site)
    async with browser(site) as demo:
        await demo.sign_in()
        code = await invite(demo)
    typed = code.lower().replace("-", " ")  # as a person may type it
    assert (await site.post("/care/accept", {"code": typed})).status_code == 303
    async with browser(site) as third:
        await sign_up(third, "petro@example.com")
        again = await third.post("/care/accept", {"code": code})
    assert again.status_code == 400
    assert "Код не підходить" in text_of(again.text)
    assert len(await rows(site, caretakers)) == 1


async def test_an_expired_code_is_refused_and_changes_nothing(site: Site) -> None:
    await sign_up(site)
    async with browser(site) as demo:
        await demo.sign_in()
        code = await invite(demo)
    site.clock.instant += timedelta(hours=48, seconds=1)
    answer = await site.post("/care/accept", {"code": code})
    assert answer.status_code == 400 and "Код не підходить" in text_of(answer.text)
    assert await rows(site, caretakers) == []


async def test_ones_own_code_is_refused_and_stays_usable(site: Site) -> None:
    await sign_up(site)
    code = await invite(site)
    own = await site.post("/care/accept", {"code": code})
    assert own.status_code == 400 and "Це ваш власний код" in text_of(own.text)
    async with browser(site) as demo:
        await demo.sign_in()
        assert (await demo.post("/care/accept", {"code": code})).status_code == 303


async def test_wrong_codes_are_limited_even_before_a_right_one(site: Site) -> None:
    await sign_up(site)
    async with browser(site) as demo:
        await demo.sign_in()
        code = await invite(demo)
    for wrong in ("AAAAA-AAAAA", "", "12345", "ZZZZZ-ZZZZ9", "not a code!", "BBBBB-BBBBB"):
        answer = await site.post("/care/accept", {"code": wrong})
        assert answer.status_code == 400
    words = text_of(answer.text)
    assert "Код не підходить" in words and 'value="BBBBB-BBBBB"' in answer.text
    limited = await site.post("/care/accept", {"code": code})
    assert limited.status_code == 429
    assert "Забагато хибних кодів. Спробуйте знову за 60 хв." in text_of(limited.text)
    assert await rows(site, caretakers) == []


async def test_the_code_page_speaks_english_too(site: Site) -> None:
    await sign_up(site, language="en")
    await site.post("/language", {"language": "en", "next": "/profile"})
    page = await site.post("/care/invite")
    words = text_of(page.text)
    assert "A code for your caretaker" in words and "It works once." in words
    wrong = await site.post("/care/accept", {"code": "AAAAA-AAAAA"})
    assert "The code does not fit" in text_of(wrong.text)


async def test_the_operators_trail_says_whom_a_caretaker_sent_for(site: Site) -> None:
    _, demo_id, _ = await cared(site)
    fields = form_of((await site.get(f"/care/{demo_id}/readings")).text)
    key = registers(fields)[0]
    fields[f"v.{key}"] = bumped(fields, key)
    assert (await site.post(f"/care/{demo_id}/readings", fields)).status_code == 200
    meter_id = int(key.split(".")[0])
    (meter,) = await rows(site, meters, meters.c.id == meter_id)
    async with browser(site) as operator:
        await operator.sign_in_staff(OPERATOR)
        page = await operator.get(f"/operator/accounts/{meter.account_id}")  # type: ignore[attr-defined]
    assert page.status_code == 200
    assert "мешканцем, від імені Демо М." in text_of(page.text)
