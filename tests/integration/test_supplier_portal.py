"""The supplier portal's use cases on both databases: each checks the supplier itself
(``can_manage_supplier``), not only the door; uploads, tokens, statistics and exports."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select, update

from komunalka.adapters.db.tables import audit_log, registry_uploads, supplier_tokens
from komunalka.adapters.spreadsheets import OpenpyxlSpreadsheets
from komunalka.application.suppliers.ports import RejectedRow, encoding_note
from komunalka.application.suppliers.supplier_access import SupplierKey
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.registry import COLUMNS
from komunalka.domain.staff import StaffMember, StaffRole
from tests.fakes import FakeClock, kyiv

OCTOBER = BillingPeriod(2026, 10)


@pytest.fixture
async def portal(uow) -> tuple[Wiring, dict[str, int]]:
    use_cases = Wiring.wire(uow, FakeClock(kyiv(2026, 11, 20)), spreadsheets=OpenpyxlSpreadsheets())
    await use_cases.load_demo()
    async with uow():
        ids = {s.code: s.id for s in await uow.suppliers.all()}
    return use_cases, ids


def staff(supplier_id: int | None, role: StaffRole = StaffRole.SUPPLIER, active: bool = True):
    return StaffMember(90, "s@x.test", "Staff", role, "", supplier_id, active)


async def test_use_cases_refuse_another_suppliers_staff(portal) -> None:
    use_cases, ids = portal
    water = staff(ids["kvk"])
    gone = staff(ids["kte"], active=False)
    operator = StaffMember(91, "o@x.test", "Operator", StaffRole.CALL_CENTER)
    sink_got: list[bytes] = []

    async def sink(data: bytes) -> None:
        sink_got.append(data)

    for who in (water, gone, operator):
        with pytest.raises(DomainError) as refused:
            await use_cases.set_window_rule(who, "kte", "1..3")
        assert refused.value.code == "supplier.not_found"
        with pytest.raises(DomainError):
            await use_cases.export_readings(who, "kte", OCTOBER, "csv", sink)
        with pytest.raises(DomainError):
            await use_cases.period_statistics(who, "kte", OCTOBER)
        with pytest.raises(DomainError):
            await use_cases.issue_supplier_token(who, "kte", "x")
        with pytest.raises(DomainError):
            await use_cases.start_registry_upload(who, "kte", "r.csv")
    assert sink_got == []
    with pytest.raises(DomainError):
        await use_cases.open_supplier(SupplierKey(ids["kte"]), "kvk")
    admin = StaffMember(92, "a@x.test", "Admin", StaffRole.ADMINISTRATOR)
    assert (await use_cases.open_supplier(admin, "kvk")).supplier.id == ids["kvk"]


async def test_an_upload_runs_to_done_with_counts_and_a_report(portal, uow, tmp_path) -> None:
    use_cases, ids = portal
    kte = staff(ids["kte"])
    path = tmp_path / "r.csv"
    base = dict.fromkeys(COLUMNS, "")
    base.update(
        supplier="kte", holder="Тест Т", address="Київ", service="heat", digits="5", decimals="3"
    )
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerow({**base, "account": "1777777701", "serial": "HT7770001"})
        writer.writerow({**base, "supplier": "gas", "account": "1777777702", "serial": "HT7770002"})
    upload_id = await use_cases.start_registry_upload(kte, None, "r.csv")
    async with uow():
        running = await uow.supplier_portal.upload(upload_id)
    assert running is not None and running.status == "running"
    done = await use_cases.run_registry_upload(kte, upload_id, str(path), "r.csv")
    assert (done.status, done.rows, done.accepted, done.rejected) == ("done", 2, 1, 1)
    stored = await use_cases.registry_uploads.get(kte, None, upload_id)
    other = Violation("portal.other_supplier", {"supplier": "gas"})
    assert stored.problems == (encoding_note("UTF-8"), RejectedRow(3, (other,)))
    assert stored.file_notes == [Violation("registry.encoding", {"encoding": "UTF-8"})]
    assert stored.file_problems == []
    with pytest.raises(DomainError):
        await use_cases.registry_uploads.get(staff(ids["kvk"]), None, upload_id)
    async with uow():
        rows = await uow.supplier_portal.uploads(ids["kte"], 5)
    assert [r.id for r in rows] == [upload_id]


async def test_a_report_stored_in_words_before_uploads_kept_codes_still_reads(
    portal, engine
) -> None:
    use_cases, ids = portal
    kte = staff(ids["kte"])
    upload_id = await use_cases.start_registry_upload(kte, None, "old.csv")
    legacy = (
        "line,codes,message\n"
        ",portal.upload_failed,Не вдалося.\n"
        "4,registry.missing reading.negative,Порожньо. Від'ємне.\n"
    )
    async with engine.begin() as conn:
        where = registry_uploads.c.id == upload_id
        await conn.execute(update(registry_uploads).where(where).values(report=legacy))
    stored = await use_cases.registry_uploads.get(kte, None, upload_id)
    assert stored.problems == (
        RejectedRow(0, (Violation("portal.upload_failed"),)),
        RejectedRow(4, (Violation("registry.missing"), Violation("reading.negative"))),
    )
    assert stored.file_problems == [Violation("portal.upload_failed")]


async def test_tokens_are_stored_hashed_and_die_when_revoked(portal, engine) -> None:
    use_cases, ids = portal
    kte = staff(ids["kte"])
    issued = await use_cases.issue_supplier_token(kte, None, "  Білінг  ")
    assert issued.label == "Білінг"
    assert await use_cases.authenticate_supplier(issued.token) == SupplierKey(ids["kte"])
    assert await use_cases.authenticate_supplier("demo-resident-token") is None
    async with engine.connect() as conn:
        stored = (await conn.execute(select(supplier_tokens.c.token_hash))).scalars().all()
        actions = (await conn.execute(select(audit_log.c.action))).scalars().all()
    assert issued.token not in stored and len(stored[0]) == 64
    with pytest.raises(DomainError):
        await use_cases.revoke_supplier_token(staff(ids["kvk"]), None, issued.id)
    await use_cases.revoke_supplier_token(kte, None, issued.id)
    assert await use_cases.authenticate_supplier(issued.token) is None
    with pytest.raises(DomainError):
        await use_cases.revoke_supplier_token(kte, None, issued.id)
    assert "supplier_token.issue" in actions


async def test_statistics_count_active_meters_and_readings(portal) -> None:
    use_cases, ids = portal
    stats = await use_cases.period_statistics(SupplierKey(ids["yasno"]), None, OCTOBER)
    assert stats.active_meters == 13 and stats.meters_sent == 13
    assert stats.readings == sum(n for _, n in stats.by_channel) == sum(n for _, n in stats.by_day)
    # every day of YASNO's October window (from the day before the last to the 3rd) is listed
    assert [str(d) for d, _ in stats.by_day][:1] == ["2026-10-30"]
    assert str(stats.by_day[-1][0]) == "2026-11-03" and len(stats.by_day) == 5
    november = await use_cases.period_statistics(SupplierKey(ids["yasno"]), None, OCTOBER.shift(1))
    assert november.meters_sent == 0 and november.share_sent == 0


async def test_exports_agree_across_formats(portal) -> None:
    use_cases, ids = portal
    key = SupplierKey(ids["kvk"])
    got: dict[str, bytes] = {}
    for fmt in ("csv", "json", "xlsx"):
        got[fmt] = b"".join(
            [c async for c in use_cases.export_readings.stream(key, None, OCTOBER, fmt)]
        )
    rows = list(csv.DictReader(io.StringIO(got["csv"].decode())))
    items = json.loads(got["json"])
    assert [r["serial"] for r in rows] == [i["serial"] for i in items]
    assert [r["value"] for r in rows] == [f"{i['value']:.3f}" for i in items]
    assert got["xlsx"][:2] == b"PK"
    with pytest.raises(DomainError):
        await use_cases.export_readings(key, None, OCTOBER, "pdf", lambda b: None)  # type: ignore[arg-type]


def test_registries_read_from_csv_with_a_bom_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("\ufeffSupplier;Account\nkte;1\n;\nkte;2\n".encode())
    opened = OpenpyxlSpreadsheets().open_registry(str(path), "csv")
    try:
        assert opened.columns == ["supplier", "account"]
        assert list(opened.rows()) == [
            (2, {"supplier": "kte", "account": "1"}),
            (4, {"supplier": "kte", "account": "2"}),
        ]
        assert opened.position() == path.stat().st_size  # the command line's progress
    finally:
        opened.close()
    broken = tmp_path / "b.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(DomainError) as unreadable:
        OpenpyxlSpreadsheets().open_registry(str(broken), "xlsx")
    assert unreadable.value.code == "portal.unreadable_file"
