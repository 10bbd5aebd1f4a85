"""Garbage into the web doors' inputs that other tests feed only well-formed values: each gets a
clear message in the reader's language and changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from komunalka.adapters.db.tables import (
    meters,
    one_time_tokens,
    outbox,
    registry_uploads,
    resident_profiles,
)
from tests.channels.pages import OPERATOR, RESIDENT, SUPPLIER, Site, text_of
from tests.channels.test_operator import (
    account_id,
    demo_meter,
    meter_id,
    readings_of,
    send_for_caller,
)
from tests.channels.test_supplier_portal import upload


async def count(site: Site, table: Any) -> int:
    engine = site.client._transport.app.state.container.engine  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def profile_rows(site: Site) -> list[Any]:
    engine = site.client._transport.app.state.container.engine  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        return list((await conn.execute(select(resident_profiles))).all())


async def test_a_profile_with_garbage_is_refused_and_kept(site: Site) -> None:
    await site.sign_in(RESIDENT)
    before = await profile_rows(site)
    for form, says in (
        ({"language": "klingon", "reminder_channel": "none"}, "klingon"),
        ({"language": "uk", "reminder_channel": "pigeon", "consent": "yes"}, "pigeon"),
        ({"language": "uk", "reminder_channel": "sms", "consent": "yes", "contact": "ab"}, ""),
    ):
        answer = await site.post("/profile", form)
        assert answer.status_code == 400, form
        assert 'role="alert"' in answer.text
        assert says in text_of(answer.text)
    assert await profile_rows(site) == before


async def test_forgot_password_with_a_garbage_login_says_what_a_login_is(site: Site) -> None:
    answer = await site.post("/password/forgot", {"login": "<script>x</script>"})
    assert answer.status_code == 400
    assert "+380XXXXXXXXX" in text_of(answer.text)
    assert "<script>x" not in answer.text  # escaped, never echoed raw
    assert await count(site, outbox) == 0
    assert await count(site, one_time_tokens) == 0


async def test_a_garbage_or_used_reset_token_changes_no_password(site: Site) -> None:
    for token in ("nonsense", "x" * 500, "%00"):
        form = {"password": "a new password", "password_confirm": "a new password"}
        answer = await site.post(f"/password/reset/{token}", form)
        assert answer.status_code == 400
        assert "недійсне" in text_of(answer.text)
    assert (await site.use_cases.sign_in(RESIDENT, "komunalka-demo")).subject_id


async def test_an_operator_typing_garbage_for_a_caller_stores_nothing(site: Site) -> None:
    m = demo_meter(site, "kte")
    await site.sign_in_staff(OPERATOR)
    target = await account_id(site, "kte", m.account)
    meter = await meter_id(site, "kte", m.serial)
    before = await readings_of(site, meter)
    for garbage in ("12abc", "1e5", "-4", "NaN", "9" * 40):
        answer = await send_for_caller(site, target, {f"value.{meter}.T1": garbage})
        assert answer.status_code == 400, garbage
        assert 'role="alert"' in answer.text
    assert await readings_of(site, meter) == before


async def test_a_broken_spreadsheet_fails_its_upload_with_a_reason(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    meters_before = await count(site, meters)
    for name, content, code, sentence in (
        (
            "registry.xlsx",
            b"PK\x03\x04 this is no workbook",
            "portal.unreadable_file",
            "Файл не вдалося прочитати",
        ),
        (
            "registry.csv",
            b"\xff\xfe\x00garbage\x00\x81",
            "registry.no_header",
            "Перший рядок файлу не заголовок",
        ),
    ):
        upload_id, location = await upload(site, name, content)
        page = text_of((await site.get(location)).text)
        assert "Не вдалося" in page, name
        # the reason is on the page itself, not only in the downloadable report
        assert sentence in page, page
        report = await site.get(f"/supplier/registry/{upload_id}/report.csv")
        assert code in report.text
    assert await count(site, meters) == meters_before
    assert await count(site, registry_uploads) == 2
