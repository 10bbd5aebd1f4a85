"""Registry files as suppliers send them, through both doors on both databases: the command line's
import and the portal's upload read them with the one reader, so they land the same rows, refuse
the same rows and say the same sentences."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from komunalka.adapters.db.tables import registry_uploads
from komunalka.bootstrap.cli import app
from komunalka.domain.registry import COLUMNS
from komunalka.i18n import translate
from tests.channels.pages import SUPPLIER, Site, text_of
from tests.channels.test_supplier_portal import app_of, upload

HEADER = ",".join(c for c in COLUMNS if c != "water_heater")
NOW = "2026-11-20T12:00:00+02:00"


def row(n: int, holder: str = "Лисенко Марія", address: str = "Київ") -> str:
    return f"kte,10007{n:05d},{holder},{address},,hot_water,HW7{n:06d},T1,5,3,,active,2026-10,5\n"


def table(*rows: str) -> str:
    return HEADER + "\n" + "".join(rows)


def zipped() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "no workbook here")
    return out.getvalue()


@dataclass(frozen=True)
class Case:
    name: str
    content: bytes
    accepted: int = 0
    rejected: int = 0
    encoding: str | None = None
    # the rejected rows' codes by line, or the one code that refused the whole file
    codes: tuple[tuple[int, str], ...] = ()
    refusal: str | None = None
    params: tuple[tuple[str, str], ...] = ()


LANDED = (
    Case("cp1251", table(row(1), row(2)).encode("cp1251"), 2, 0, "Windows-1251"),
    Case("utf16", table(row(3), row(4)).encode("utf-16"), 2, 0, "UTF-16 LE"),
    Case("bom", ("\ufeff" + table(row(5))).encode(), 1, 0, "UTF-8 (BOM)"),
    Case(
        "nul",
        table(row(6), row(7, "Лисенко\x00Марія"), row(8)).encode(),
        2,
        1,
        "UTF-8",
        ((3, "registry.nul_byte"),),
    ),
    Case(
        "huge",
        table(row(9), row(10, "Я" * 200_000), row(11)).encode("cp1251"),
        2,
        1,
        "Windows-1251",
        ((3, "registry.cell_too_long"),),
    ),
)
REFUSED = (
    Case("empty", b"", refusal="registry.empty_file"),
    Case(
        "png",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        refusal="registry.not_a_table",
        params=(("what", "PNG"),),
    ),
    Case("binary", bytes(range(256)) * 16, refusal="registry.binary_file"),
    Case("zip", zipped(), refusal="registry.zip_not_xlsx"),
    Case("headless", b"kte,1,2,3\nkte,4,5,6\n", refusal="registry.no_header"),
    Case(
        "latin1",
        table(row(12, "Müller Jürgen", "Köln"), row(13, "Gödel", "Straße")).encode("latin-1"),
        refusal="registry.unknown_encoding",
    ),
)


def sentence(code: str, **params: str) -> str:
    return translate(code, "uk", params)


@pytest.fixture
def run(engine, database_url, monkeypatch):
    monkeypatch.setenv("KOMUNALKA_DATABASE_URL", database_url)
    monkeypatch.setenv("KOMUNALKA_NOW", NOW)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), env={"KOMUNALKA_LANGUAGE": "uk"})

    return invoke


@pytest.mark.parametrize("case", LANDED, ids=lambda c: c.name)
def test_the_command_line_reads_each_encoding_and_refuses_only_the_bad_rows(
    case: Case, run, tmp_path
) -> None:
    assert run("demo").exit_code == 0
    source, report = tmp_path / "registry.csv", tmp_path / "bad.csv"
    source.write_bytes(case.content)
    result = run("import-registry", str(source), "--report", str(report))
    assert result.exit_code == 0, result.output
    assert f"прийнято: {case.accepted}, відхилено: {case.rejected}" in result.output
    assert sentence("registry.encoding", encoding=case.encoding or "") in result.output
    bad = list(csv.DictReader(report.open(encoding="utf-8-sig")))
    assert [(int(b["line"]), b["codes"]) for b in bad] == list(case.codes)
    for b in bad:
        assert b["message"].split(" ")[0] in sentence(b["codes"], limit="131072")


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.name)
def test_the_command_line_refuses_what_is_not_a_table_in_one_sentence(
    case: Case, run, tmp_path
) -> None:
    assert run("demo").exit_code == 0
    source = tmp_path / "registry.csv"
    source.write_bytes(case.content)
    result = run("import-registry", str(source))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    said = " ".join(result.output.split())
    assert sentence(case.refusal or "", **dict(case.params)) in said


@pytest.mark.parametrize("case", LANDED + REFUSED, ids=lambda c: c.name)
async def test_the_portal_lands_and_refuses_the_same_as_the_command_line(
    case: Case, site: Site
) -> None:
    await site.sign_in_staff(SUPPLIER)
    upload_id, location = await upload(site, "registry.csv", case.content)
    page = text_of((await site.get(location)).text)
    engine = app_of(site).state.container.engine
    where = registry_uploads.c.id == upload_id
    summary = select(
        registry_uploads.c.status, registry_uploads.c.accepted, registry_uploads.c.rejected
    )
    async with engine.connect() as conn:
        status, accepted, rejected = (await conn.execute(summary.where(where))).one()
    report = await site.get(f"/supplier/registry/{upload_id}/report.csv")
    bad = list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))
    if case.refusal:
        assert status == "failed"
        assert sentence(case.refusal, **dict(case.params)) in page
        assert case.refusal in report.text
        return
    assert (status, accepted, rejected) == ("done", case.accepted, case.rejected)
    assert sentence("registry.encoding", encoding=case.encoding or "") in page
    rows = [(int(b["line"]), b["codes"]) for b in bad if b["line"] not in ("", "0")]
    assert rows == list(case.codes)
