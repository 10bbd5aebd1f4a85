"""The one registry reader on files as suppliers send them: the encoding told from the content,
faulty rows refused alone, what is not a table refused whole."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from komunalka.adapters.spreadsheets import OpenpyxlSpreadsheets
from komunalka.domain.errors import DomainError
from komunalka.domain.registry import parse_registry_row

HEADER = "supplier;account;holder\n"


def opened(tmp_path: Path, content: bytes, name: str = "r.csv") -> tuple[str | None, list]:
    path = tmp_path / name
    path.write_bytes(content)
    registry = OpenpyxlSpreadsheets().open_registry(str(path), name.rsplit(".", 1)[1])
    try:
        return registry.encoding, list(registry.rows())
    finally:
        registry.close()


def refusal(tmp_path: Path, content: bytes) -> str:
    with pytest.raises(DomainError) as refused:
        opened(tmp_path, content)
    return refused.value.code


def codes(raw: dict) -> list[str]:
    parsed = parse_registry_row(raw)
    assert isinstance(parsed, list)
    return [v.code for v in parsed]


@pytest.mark.parametrize(
    ("encode", "name"),
    [
        (lambda t: t.encode("cp1251"), "Windows-1251"),
        (lambda t: t.encode("utf-16"), "UTF-16 LE"),
        (lambda t: b"\xfe\xff" + t.encode("utf-16-be"), "UTF-16 BE"),
        (lambda t: t.encode("utf-8-sig"), "UTF-8 (BOM)"),
        (lambda t: t.encode(), "UTF-8"),
    ],
    ids=["cp1251", "utf16le", "utf16be", "utf8bom", "utf8"],
)
def test_each_encoding_suppliers_send_is_read_and_named(tmp_path, encode, name) -> None:
    text = HEADER + "kte;1;Іваненко Ґанна\r\nkte;2;Київ, вул. Шевченка\r\n"
    encoding, rows = opened(tmp_path, encode(text))
    assert encoding == name
    assert [(line, row["holder"]) for line, row in rows] == [
        (2, "Іваненко Ґанна"),
        (3, "Київ, вул. Шевченка"),
    ]


def test_latin1_text_is_refused_rather_than_read_as_cyrillic(tmp_path) -> None:
    latin = HEADER + "kte;1;Müller Jürgen\nkte;2;Gödel Straße\n"
    assert refusal(tmp_path, latin.encode("latin-1")) == "registry.unknown_encoding"


def test_a_nul_byte_refuses_its_row_and_the_others_are_read(tmp_path) -> None:
    _, rows = opened(tmp_path, (HEADER + "kte;1;a\nkte;2;b\x00c\nkte;3;d\n").encode())
    assert [line for line, _ in rows] == [2, 3, 4]
    assert codes(rows[1][1]) == ["registry.nul_byte"]
    assert rows[0][1]["holder"] == "a" and rows[2][1]["holder"] == "d"


def test_a_cell_of_200_kb_refuses_its_row_and_the_others_are_read(tmp_path) -> None:
    huge = "x" * 200_000
    _, rows = opened(tmp_path, (HEADER + f"kte;1;a\nkte;2;{huge}\nkte;3;d\n").encode())
    assert [line for line, _ in rows] == [2, 3, 4]
    assert codes(rows[1][1]) == ["registry.cell_too_long"]
    assert rows[2][1]["holder"] == "d"


def test_bytes_past_the_sample_the_encoding_cannot_read_refuse_their_row(tmp_path) -> None:
    ascii_rows = "".join(f"kte;{n};holder\n" for n in range(80_000))  # past the first MiB
    content = (HEADER + ascii_rows).encode() + "kte;x;Київ\n".encode("cp1251") + b"kte;y;z\n"
    encoding, rows = opened(tmp_path, content)
    assert encoding == "UTF-8"
    assert codes(rows[-2][1]) == ["registry.bad_bytes"]
    assert rows[-1][1]["holder"] == "z" and len(rows) == 80_002


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "registry.empty_file"),
        (b"\xef\xbb\xbf \r\n\r\n", "registry.empty_file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "registry.not_a_table"),
        (b"%PDF-1.7\n", "registry.not_a_table"),
        (bytes(range(256)) * 64, "registry.binary_file"),
        (b"kte,1,2\nkte,3,4\n", "registry.no_header"),
    ],
    ids=["empty", "blank", "png", "pdf", "binary", "headless"],
)
def test_what_is_not_a_table_is_refused_whole(tmp_path, content, code) -> None:
    assert refusal(tmp_path, content) == code


def test_a_zip_that_is_no_workbook_is_refused(tmp_path) -> None:
    import zipfile

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.txt", "hello")
    assert refusal(tmp_path, archive.getvalue()) == "registry.zip_not_xlsx"


def test_an_xlsx_registry_is_read_as_before_whatever_its_name_says(tmp_path) -> None:
    book = Workbook()
    book.active.append(["Supplier", "Account"])
    book.active.append(["kte", 1.0])
    path = tmp_path / "book.xlsx"
    book.save(path)
    for name in ("book.xlsx", "book.csv"):
        encoding, rows = opened(tmp_path, path.read_bytes(), name)
        assert encoding is None
        assert rows == [(2, {"supplier": "kte", "account": "1"})]
