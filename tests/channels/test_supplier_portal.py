"""The supplier portal over HTTP: role checks on every route, one supplier's data only, the
window rule and tariffs, registry uploads (CSV and XLSX) with their reports, exports in three
formats, statistics and non-submitters, and the pull tokens."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, insert, select

from komunalka.adapters.db.tables import audit_log, meters, registry_uploads, suppliers, tariffs
from komunalka.application.system.demo_data import TARIFFS
from komunalka.channels.pages.security import SESSION_COOKIE
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.registry import COLUMNS
from tests.channels.pages import (
    ADMIN,
    DISTRICT,
    OPERATOR,
    PASSWORD,
    RESIDENT,
    SUPPLIER,
    Site,
    text_of,
)

PAGES = (
    "/supplier",
    "/supplier/window",
    "/supplier/tariffs",
    "/supplier/registry",
    "/supplier/export",
    "/supplier/export/download?period=2026-10&format=csv",
    "/supplier/non-submitters",
    "/supplier/non-submitters.csv?period=2026-11",
    "/supplier/tokens",
    "/supplier/deliveries",
)


def app_of(site: Site) -> Any:
    return site.client._transport.app  # type: ignore[attr-defined]


async def scalar(site: Site, query: Any) -> Any:
    async with app_of(site).state.container.engine.connect() as conn:
        return (await conn.execute(query)).scalar_one()


async def sign_in_resident(site: Site) -> None:
    opened = await site.use_cases.sign_in(RESIDENT, PASSWORD)
    site.client.cookies.set(SESSION_COOKIE, opened.token)


def kte_meters(site: Site) -> list[Any]:
    return [m for m in site.demo.meters if m.supplier == "kte"]


def registry_csv(rows: list[dict[str, str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def row(supplier: str = "kte", account: str = "1999999901", serial: str = "HW99900011") -> dict:
    return {
        "supplier": supplier,
        "account": account,
        "holder": "Тестенко Ольга Петрівна",
        "address": "Київ, вул. Тестова, 1, кв. 2",
        "district": "Печерський",
        "service": "hot_water",
        "serial": serial,
        "registers": "T1",
        "digits": "5",
        "decimals": "3",
        "verification_due": "2030-01-01",
        "status": "active",
        "period": "2026-11",
        "values": "12,5",
    }


async def upload(site: Site, name: str, content: bytes, query: str = "") -> tuple[int, Any]:
    answer = await site.client.post(
        f"/supplier/registry{query}",
        data={"csrf_token": site.csrf},
        files={"file": (name, content, "application/octet-stream")},
    )
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    await app_of(site).state.jobs.wait()
    upload_id = int(location.split("/supplier/registry/")[1].split("?")[0])
    return upload_id, location


# --- who may come in --------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
async def test_anonymous_visitors_are_sent_to_the_staff_sign_in(site: Site, path: str) -> None:
    answer = await site.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/staff/sign-in?next=/supplier")


async def test_other_roles_are_refused_on_every_route(site: Site) -> None:
    posts = ("/supplier/window", "/supplier/tariffs", "/supplier/registry", "/supplier/tokens")
    for login in (OPERATOR, DISTRICT, None):
        if login is None:
            await sign_in_resident(site)
        else:
            await site.sign_in_staff(login)
        for path in PAGES:
            assert (await site.get(path)).status_code == 403, (login, path)
        for path in (*posts, "/supplier/tokens/1/revoke"):
            assert (await site.post(path, {"label": "x", "rule": "1..2"})).status_code == 403
        site.client.cookies.delete(SESSION_COOKIE)
    assert await scalar(site, select(func.count()).select_from(tariffs)) == len(TARIFFS)


async def test_supplier_staff_never_see_another_supplier(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    for path in PAGES:
        glue = "&" if "?" in path else "?"
        for other in ("kvk", "yasno", "nope"):
            answer = await site.get(f"{path}{glue}supplier={other}")
            assert answer.status_code == 404, (path, other)
            assert "Київводоканал" not in answer.text
    changed = await site.post("/supplier/window?supplier=kvk", {"rule": "1..2"})
    assert changed.status_code == 404
    rule = select(suppliers.c.window_rule).where(suppliers.c.code == "kvk")
    assert await scalar(site, rule) == "10..-1 early 3"
    # no switch of suppliers is offered to supplier staff
    page = await site.get("/supplier")
    assert 'name="supplier"' in page.text  # the period form carries the own code only
    assert "supplier-switch" not in page.text


async def test_an_administrator_picks_any_supplier(site: Site) -> None:
    await site.sign_in_staff(ADMIN)
    first = await site.get("/supplier")
    assert first.status_code == 200
    assert "supplier-switch" in first.text
    water = await site.get("/supplier?supplier=kvk&period=2026-10")
    assert water.status_code == 200
    assert "Київводоканал" in water.text
    saved = await site.post("/supplier/window?supplier=kvk", {"rule": "10..-2"})
    assert saved.status_code == 200
    rule = select(suppliers.c.window_rule).where(suppliers.c.code == "kvk")
    assert await scalar(site, rule) == "10..-2 early 3"


# --- settings ---------------------------------------------------------------------------------


async def test_a_valid_window_rule_is_saved_with_a_preview(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    answer = await site.post("/supplier/window", {"rule": " 1..10 "})
    assert answer.status_code == 200
    text = text_of(answer.text)
    assert "Правило вікна збережено" in text
    assert "Поточне правило: 1..10" in text
    # it is the 20th of November: the next openings are December, January, February
    assert "Період 2026-12: з 01.12.2026 до 10.12.2026 включно" in text
    assert "Період 2027-02" in text
    rule = select(suppliers.c.window_rule).where(suppliers.c.code == "kte")
    assert await scalar(site, rule) == "1..10 early 3"  # early sending is kept
    actions = select(func.count()).where(audit_log.c.action == "supplier_window.set")
    assert await scalar(site, actions) == 1


@pytest.mark.parametrize("bad", ["", "5 to 10", "0..5", "1..40", "1..5@+3"])
async def test_a_bad_window_rule_is_explained_and_changes_nothing(site: Site, bad: str) -> None:
    await site.sign_in_staff(SUPPLIER)
    answer = await site.post("/supplier/window", {"rule": bad}, headers={"Accept-Language": "en"})
    assert answer.status_code == 400
    assert 'role="alert"' in answer.text
    assert "Current rule: 5..-1" in text_of(answer.text)
    rule = select(suppliers.c.window_rule).where(suppliers.c.code == "kte")
    assert await scalar(site, rule) == "5..-1 early 3"


async def test_tariffs_are_added_and_bad_ones_refused(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    form = {"service": "hot_water", "zone": "*", "price": "98,52", "effective_from": "2026-12-01"}
    added = await site.post("/supplier/tariffs", form)
    assert added.status_code == 200
    assert "Тариф додано." in added.text
    assert "98,52" in text_of(added.text)
    again = await site.post("/supplier/tariffs", form)
    assert again.status_code == 400
    assert "вже є" in text_of(again.text)
    for bad, says in (
        ({**form, "price": "0"}, "більше нуля"),
        ({**form, "price": "-3"}, "більше нуля"),
        ({**form, "price": "abc"}, "більше нуля"),
        ({**form, "service": "electricity"}, "не надає цієї послуги"),
        ({**form, "effective_from": "soon"}, "дату початку"),
    ):
        answer = await site.post("/supplier/tariffs", bad)
        assert answer.status_code == 400, bad
        assert says in text_of(answer.text)
    kte = select(suppliers.c.id).where(suppliers.c.code == "kte").scalar_subquery()
    count = select(func.count()).where(tariffs.c.supplier_id == kte)
    demo = sum(1 for t in TARIFFS if t[0] == "kte")  # the demo's heat and hot water
    assert await scalar(site, count) == demo + 1


# --- registry uploads -------------------------------------------------------------------------


async def test_a_csv_registry_lands_its_good_rows_and_reports_the_bad(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    content = registry_csv(
        [
            row(),
            row(account="x", serial="HW99900012"),  # line 3: a bad account number
            row(supplier="kvk", account="29999999", serial="CW99900013"),  # line 4: not ours
            row(account="1999999902", serial="HW99900014"),
        ],
        delimiter=";",
    )
    upload_id, location = await upload(site, "реєстр.csv", content)
    page = await site.get(location)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Готово" in text
    assert "Прийнято 2" in text and "Відхилено 2" in text and "Рядків 4" in text
    fragment = await site.get(f"/supplier/registry/{upload_id}/progress")
    assert "hx-get" not in fragment.text  # finished: no more polling
    report = await site.get(f"/supplier/registry/{upload_id}/report.csv")
    assert report.status_code == 200
    assert report.headers["content-disposition"].startswith("attachment")
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert lines[0] == ["line", "codes", "message"]
    assert [(r[0], r[1]) for r in lines[1:]] == [
        ("", "registry.encoding"),  # the report names the encoding the file was read in
        ("3", "registry.bad_account"),
        ("4", "portal.other_supplier"),
    ]
    assert "UTF-8" in lines[1][2]
    assert "іншого постачальника (kvk)" in lines[3][2]
    landed = select(func.count()).where(meters.c.serial.in_(["HW99900011", "HW99900014"]))
    assert await scalar(site, landed) == 2
    foreign = select(func.count()).where(meters.c.serial == "CW99900013")
    assert await scalar(site, foreign) == 0
    listed = await site.get("/supplier/registry")
    assert "реєстр.csv" in listed.text


async def test_a_registry_uploaded_again_reports_its_rows_unchanged(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    rows = [row(), row(account="1999999902", serial="HW99900014")]
    await upload(site, "реєстр.csv", registry_csv(rows))
    changed = [rows[0], rows[1] | {"holder": "Новий Власник"}]
    _, location = await upload(site, "реєстр-2.csv", registry_csv(changed))
    text = text_of((await site.get(location)).text)
    assert "Прийнято 2" in text and "З них без змін (нічого не записано) 1" in text


async def test_an_upload_cut_off_by_a_restart_shows_why_and_stops_polling(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    kte = await scalar(site, select(suppliers.c.id).where(suppliers.c.code == "kte"))
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)  # its process died: no heartbeat since
    values = {"supplier_id": kte, "filename": "r.csv", "status": "running"}
    values |= {"created_at": long_ago, "heartbeat_at": long_ago}
    async with app_of(site).state.container.engine.begin() as conn:
        added = insert(registry_uploads).values(values).returning(registry_uploads.c.id)
        upload_id = (await conn.execute(added)).scalar_one()
    fragment = await site.get(f"/supplier/registry/{upload_id}/progress")
    assert "hx-get" not in fragment.text
    assert "Завантаження обірвалося" in text_of(fragment.text)
    status = select(registry_uploads.c.status).where(registry_uploads.c.id == upload_id)
    assert await scalar(site, status) == "failed"


async def test_an_xlsx_registry_is_read_like_a_csv_one(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    good = row(serial="HW99900021")
    sheet.append(
        [int(v) if v.isdigit() and k in ("digits", "decimals") else v for k, v in good.items()]
    )
    sheet.append(list(row(supplier="yasno", serial="EL99900022").values()))
    buffer = io.BytesIO()
    book.save(buffer)
    upload_id, location = await upload(site, "registry.xlsx", buffer.getvalue())
    text = text_of((await site.get(location, headers={"Accept-Language": "en"})).text)
    assert "Done" in text and "Accepted 1" in text and "Rejected 1" in text
    report = await site.get(f"/supplier/registry/{upload_id}/report.csv")
    assert "3,portal.other_supplier" in report.content.decode("utf-8-sig")


async def test_a_file_that_is_not_a_registry_fails_with_a_reason(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    wrong = await site.client.post(
        "/supplier/registry",
        data={"csrf_token": site.csrf},
        files={"file": ("notes.txt", b"hello", "text/plain")},
    )
    assert wrong.status_code == 400
    assert "лише файли .csv та .xlsx" in text_of(wrong.text)
    upload_id, location = await upload(site, "header.csv", b"account,serial\n1,2\n")
    text = text_of((await site.get(location)).text)
    assert "Не вдалося" in text
    report = await site.get(f"/supplier/registry/{upload_id}/report.csv")
    assert "registry.bad_header" in report.text


async def test_another_suppliers_upload_is_not_shown(site: Site) -> None:
    await site.sign_in_staff(ADMIN)
    upload_id, _ = await upload(
        site, "water.csv", registry_csv([row(supplier="kvk", account="29999999")]), "?supplier=kvk"
    )
    await site.sign_out()
    await site.sign_in_staff(SUPPLIER)
    for path in ("", "/progress", "/report.csv"):
        assert (await site.get(f"/supplier/registry/{upload_id}{path}")).status_code == 404
    assert "water.csv" not in (await site.get("/supplier/registry")).text


# --- exports, statistics, non-submitters ------------------------------------------------------


async def test_the_export_comes_in_three_formats_with_own_meters_only(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    own = {m.serial for m in kte_meters(site)}
    expected = sum(len(m.registers) for m in kte_meters(site))
    base = "/supplier/export/download?period=2026-10&format="
    as_csv = await site.get(base + "csv")
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == expected
    assert {r["serial"] for r in rows} == own
    as_json = await site.get(base + "json")
    items = json.loads(as_json.text)
    assert len(items) == expected and {i["serial"] for i in items} == own
    assert all(isinstance(i["value"], (int, float)) for i in items)
    as_xlsx = await site.get(base + "xlsx")
    sheet = load_workbook(io.BytesIO(as_xlsx.content), read_only=True).worksheets[0]
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:2] == ("account", "serial")
    assert {r[1] for r in table[1:]} == own and len(table) == expected + 1
    bad = await site.get("/supplier/export/download?period=2026-13&format=csv")
    assert bad.status_code == 400
    assert 'role="alert"' in bad.text


async def test_statistics_match_the_data(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    count = len(kte_meters(site))
    readings = sum(len(m.registers) for m in kte_meters(site))
    viewer = await site.use_cases.resolve_session(site.client.cookies.get(SESSION_COOKIE))
    assert viewer is not None and viewer.staff is not None
    stats = await site.use_cases.period_statistics(viewer.staff, None, BillingPeriod(2026, 10))
    assert (stats.active_meters, stats.meters_sent, stats.readings) == (count, count, readings)
    assert sum(n for _, n in stats.by_day) == readings
    assert stats.share_sent == 100
    october = text_of((await site.get("/supplier?period=2026-10")).text)
    assert f"Активних лічильників {count}" in october
    assert f"Подали показники {count}" in october and "Частка поданих 100,0" in october
    november = text_of((await site.get("/supplier")).text)
    assert f"Ще не подали {count}" in november and "Частка поданих 0,0" in november


async def test_non_submitters_are_the_own_suppliers_meters_without_readings(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    page = await site.get("/supplier/non-submitters?period=2026-11")
    text = text_of(page.text)
    for m in kte_meters(site):
        assert m.serial in text
    others = [m for m in site.demo.meters if m.supplier != "kte"]
    assert not any(m.serial in text for m in others)
    sent = text_of((await site.get("/supplier/non-submitters?period=2026-10")).text)
    assert "Усі активні лічильники мають показники" in sent
    listed = await site.get("/supplier/non-submitters.csv?period=2026-11")
    rows = list(csv.DictReader(io.StringIO(listed.content.decode("utf-8-sig"))))
    assert {r["serial"] for r in rows} == {m.serial for m in kte_meters(site)}


# --- pull tokens and the API ------------------------------------------------------------------


async def issue_token(site: Site, label: str = "Білінг") -> str:
    answer = await site.post("/supplier/tokens", {"label": label})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    start = answer.text.index('id="new-token">') + len('id="new-token">')
    return answer.text[start : answer.text.index("<", start)]


async def test_a_token_pulls_its_own_suppliers_data_until_revoked(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    token = await issue_token(site)
    assert token.startswith("kms_")
    listed = await site.get("/supplier/tokens")
    assert token not in listed.text and "Білінг" in listed.text
    auth = {"Authorization": f"Bearer {token}"}
    readings = await site.client.get("/api/v1/supplier/readings?period=2026-10", headers=auth)
    assert readings.status_code == 200
    serials = {r["serial"] for r in csv.DictReader(io.StringIO(readings.text))}
    assert serials == {m.serial for m in kte_meters(site)}
    as_json = await site.client.get(
        "/api/v1/supplier/readings?period=2026-10&format=json", headers=auth
    )
    assert {i["serial"] for i in as_json.json()} == serials
    missing = await site.client.get("/api/v1/supplier/non-submitters?period=2026-11", headers=auth)
    assert {i["serial"] for i in missing.json()} == serials
    stats = await site.client.get("/api/v1/supplier/statistics?period=2026-10", headers=auth)
    assert stats.json()["meters_sent"] == len(serials)
    assert stats.json()["supplier"] == "kte"
    # the resident API does not take it
    assert (await site.client.get("/api/v1/meters", headers=auth)).status_code == 401
    token_id = int(listed.text.split("/supplier/tokens/")[1].split("/revoke")[0])
    revoked = await site.post(f"/supplier/tokens/{token_id}/revoke")
    assert revoked.status_code == 303
    assert "відкликано" in text_of((await site.get(revoked.headers["location"])).text)
    after = await site.client.get("/api/v1/supplier/readings?period=2026-10", headers=auth)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "auth.invalid"


async def test_the_pull_api_refuses_resident_tokens_and_bad_input(site: Site) -> None:
    resident = {"Authorization": f"Bearer {site.demo.token}", "Accept-Language": "en"}
    for path in ("readings", "non-submitters", "statistics"):
        answer = await site.client.get(f"/api/v1/supplier/{path}?period=2026-10", headers=resident)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "auth.invalid"
    none = await site.client.get("/api/v1/supplier/readings?period=2026-10")
    assert none.status_code == 401 and none.json()["error"]["code"] == "auth.required"
    await site.sign_in_staff(SUPPLIER)
    auth = {"Authorization": f"Bearer {await issue_token(site)}"}
    bad = await site.client.get("/api/v1/supplier/readings?period=October", headers=auth)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "request.invalid"
    schema = (await site.client.get("/openapi.json")).json()
    assert "/api/v1/supplier/readings" in schema["paths"]
    assert "/api/v1/supplier/statistics" in schema["paths"]


async def test_a_token_of_another_supplier_cannot_be_revoked(site: Site) -> None:
    await site.sign_in_staff(ADMIN)
    answer = await site.post("/supplier/tokens?supplier=kvk", {"label": "water"})
    assert answer.status_code == 200
    listed = await site.get("/supplier/tokens?supplier=kvk")
    token_id = int(listed.text.split("/supplier/tokens/")[1].split("/revoke")[0])
    await site.sign_out()
    await site.sign_in_staff(SUPPLIER)
    assert (await site.post(f"/supplier/tokens/{token_id}/revoke")).status_code == 404
    assert "water" not in (await site.get("/supplier/tokens")).text
    empty = await site.post("/supplier/tokens", {"label": "   "})
    assert empty.status_code == 400


# --- accept early and the period's file (ADR 0018) ----------------------------------------------


async def test_early_sending_and_the_file_format_are_set_checked_and_audited(site: Site) -> None:
    await site.sign_in_staff(SUPPLIER)
    page = text_of((await site.get("/supplier/window")).text)
    assert "Заздалегідь: за 3 дн. до відкриття вікна." in page  # the demo's
    bad = await site.post(
        "/supplier/delivery", {"early_days": "11", "file_format": "csv"}, headers=EN
    )
    assert bad.status_code == 400
    assert "whole number from 0 to 10, not “11”" in text_of(bad.text)
    odd = await site.post("/supplier/delivery", {"early_days": "2", "file_format": "pdf"})
    assert odd.status_code == 400
    rule = select(suppliers.c.window_rule, suppliers.c.file_format).where(suppliers.c.code == "kte")
    async with app_of(site).state.container.engine.connect() as conn:
        assert tuple((await conn.execute(rule)).one()) == ("5..-1 early 3", "csv")
    saved = await site.post("/supplier/delivery", {"early_days": "0", "file_format": "xlsx"})
    assert saved.status_code == 200 and "Заздалегідь: вимкнено." in text_of(saved.text)
    async with app_of(site).state.container.engine.connect() as conn:
        assert tuple((await conn.execute(rule)).one()) == ("5..-1", "xlsx")
    actions = select(func.count()).where(audit_log.c.action == "supplier_delivery.set")
    assert await scalar(site, actions) == 1


EN = {"Accept-Language": "en"}


async def test_the_period_file_is_listed_downloaded_and_pulled_once_the_window_closed(
    site: Site,
) -> None:
    await site.sign_in_staff(SUPPLIER)
    auth = {"Authorization": f"Bearer {await issue_token(site)}", **EN}
    before = await site.client.get("/api/v1/supplier/periods/2026-10/file", headers=auth)
    assert before.status_code == 404
    assert before.json()["error"]["code"] == "portal.no_period_file"
    assert "No period files yet" in text_of((await site.get("/supplier/export", headers=EN)).text)
    # the worker's job; kte's October window (5..-1) closed on 1 November
    report = await site.use_cases.write_period_files()
    assert report.written == 4  # one file for each demo supplier
    listed = await site.client.get("/api/v1/supplier/periods", headers=auth)
    assert [f["period"] for f in listed.json()] == ["2026-10"]
    assert listed.json()[0]["url"] == "/api/v1/supplier/periods/2026-10/file"
    pulled = await site.client.get("/api/v1/supplier/periods/2026-10/file", headers=auth)
    assert pulled.status_code == 200 and pulled.headers["content-type"].startswith("text/csv")
    assert 'filename="kte-2026-10-final.csv"' in pulled.headers["content-disposition"]
    exported = await site.client.get("/api/v1/supplier/readings?period=2026-10", headers=auth)
    assert pulled.content == exported.content
    page = await site.get("/supplier/export")
    assert "/supplier/periods/2026-10/file?supplier=kte" in page.text
    downloaded = await site.get("/supplier/periods/2026-10/file?supplier=kte")
    assert downloaded.status_code == 200 and downloaded.content == pulled.content
    missing = await site.get("/supplier/periods/2026-09/file?supplier=kte")
    assert missing.status_code == 404
    for garbage in ("2026-13", "26-10", "abc", "2026-10x"):
        answer = await site.get(f"/supplier/periods/{garbage}/file?supplier=kte")
        assert answer.status_code in (400, 404, 422), (garbage, answer.status_code)
    bad = await site.client.get("/api/v1/supplier/periods/2026-13/file", headers=auth)
    assert bad.status_code == 422
    schema = (await site.client.get("/openapi.json")).json()
    assert "/api/v1/supplier/periods/{period}/file" in schema["paths"]


# --- how long meter photos are kept (ADR 0027) ------------------------------------------------


@pytest.mark.parametrize("bad", ["0", "3651", "abc", "1.5", "", "٣٠"])
async def test_a_bad_photo_keeping_term_is_explained_and_changes_nothing(
    site: Site, bad: str
) -> None:
    await site.sign_in_staff(SUPPLIER)
    answer = await site.post("/supplier/photos", {"days": bad})
    assert answer.status_code == 400
    assert "Строк зберігання фото — від 1 до 3650 днів." in text_of(answer.text)
    days = select(suppliers.c.photo_retention_days).where(suppliers.c.code == "kte")
    assert await scalar(site, days) == 730
    actions = select(func.count()).where(audit_log.c.action == "supplier_photos.set")
    assert await scalar(site, actions) == 0


async def test_the_supplier_sets_how_long_meter_photos_are_kept_and_it_is_audited(
    site: Site,
) -> None:
    await site.sign_in_staff(SUPPLIER)
    page = await site.get("/supplier/window")
    assert 'name="days"' in page.text and 'value="730"' in page.text
    saved = await site.post("/supplier/photos", {"days": " 365 "}, headers=EN)
    assert saved.status_code == 200 and "keeping term is saved." in text_of(saved.text)
    assert 'value="365"' in saved.text
    days = select(suppliers.c.photo_retention_days).where(suppliers.c.code == "kte")
    assert await scalar(site, days) == 365
    audited = select(audit_log.c.details).where(audit_log.c.action == "supplier_photos.set")
    (details,) = [json.loads(await scalar(site, audited))]
    assert details == {"days": {"from": 730, "to": 365}}
