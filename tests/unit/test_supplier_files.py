"""The suppliers' files every door shares (formats.py) and the export and non-submitters use
cases against the fakes: one writer per format, straight from the rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

import pytest

from komunalka.application.shared.actors import Actor
from komunalka.application.suppliers.export_readings import ExportReadings
from komunalka.application.suppliers.formats import (
    RejectedRowsReport,
    non_submitters_csv,
    non_submitters_json,
    readings_csv,
    readings_json,
    rejected_rows_csv,
)
from komunalka.application.suppliers.non_submitters import ListNonSubmitters
from komunalka.application.suppliers.ports import (
    EXPORT_COLUMNS,
    ExportRow,
    NonSubmitter,
    RejectedRow,
)
from komunalka.application.suppliers.supplier_access import ServiceCaller, SupplierKey
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.periods import BillingPeriod
from tests.fakes import FakeClock, InMemoryStore, kyiv
from tests.world import build_world

ROW = ExportRow(
    "0001", "S1", "gas", "T1", "2026-10", Decimal("1234.50"), "2026-10-02 10:00:00", "web", "R-1"
)
SERVICE = ServiceCaller(Actor.system())
OCTOBER = BillingPeriod(2026, 10)
CLOCK = FakeClock(kyiv(2026, 11, 20))


async def chunked(*chunks: Sequence[ExportRow]) -> AsyncIterator[Sequence[ExportRow]]:
    for chunk in chunks:
        yield chunk


async def listed(*rows: NonSubmitter) -> AsyncIterator[NonSubmitter]:
    for row in rows:
        yield row


async def written(chunks: AsyncIterator[Sequence[ExportRow]]) -> bytes:
    got: list[bytes] = []

    async def sink(data: bytes) -> None:
        got.append(data)

    await readings_json(chunks, sink)
    return b"".join(got)


def test_the_csv_export_has_the_header_and_the_value_digit_for_digit() -> None:
    text = readings_csv([ROW], header=True).decode()
    assert text.splitlines() == [",".join(EXPORT_COLUMNS), ",".join(map(str, ROW))]
    assert readings_csv([ROW]).decode().split(",")[5] == "1234.50"


async def test_the_json_export_is_one_array_whatever_the_chunks() -> None:
    body = await written(chunked([ROW], [], [ROW._replace(serial="S2")]))
    items = json.loads(body, parse_float=str)
    assert [i["serial"] for i in items] == ["S1", "S2"]
    assert items[0]["value"] == "1234.50" and list(items[0]) == list(EXPORT_COLUMNS)
    assert json.loads(await written(chunked())) == []


async def test_non_submitters_are_written_alike_as_csv_and_json() -> None:
    one = NonSubmitter("0001", "Іван", "Київ, 1", "S1", "gas")
    text = b"".join([c async for c in non_submitters_csv(listed(one))]).decode()
    assert list(csv.DictReader(io.StringIO(text))) == [
        {
            "account": "0001",
            "holder": "Іван",
            "address": "Київ, 1",
            "serial": "S1",
            "service": "gas",
        }
    ]
    empty = b"".join([c async for c in non_submitters_csv(listed())])
    assert empty == b"account,holder,address,serial,service\n"
    items = json.loads(b"".join([c async for c in non_submitters_json(listed(one, one))]))
    assert len(items) == 2 and items[0]["serial"] == "S1"
    assert json.loads(b"".join([c async for c in non_submitters_json(listed())])) == []


def test_the_rejected_rows_report_words_each_row_by_line() -> None:
    bad = RejectedRow(7, (Violation("registry.missing", {"column": "holder"}), Violation("x.y")))
    whole = RejectedRow(0, (Violation("registry.bad_header"),))
    text = rejected_rows_csv([bad, whole], lambda v: f"<{v.code}:{dict(v.params)}>")
    assert list(csv.reader(io.StringIO(text))) == [
        ["line", "codes", "message"],
        ["", "registry.bad_header", "<registry.bad_header:{}>"],
        ["7", "registry.missing x.y", "<registry.missing:{'column': 'holder'}> <x.y:{}>"],
    ]
    out = io.StringIO()
    report = RejectedRowsReport(out, lambda v: v.code)
    report(bad)
    assert report.count == 1 and out.getvalue().splitlines()[1].startswith("7,")


@pytest.fixture
async def store() -> InMemoryStore:
    store = InMemoryStore()
    await build_world(store)
    return store


async def test_the_export_writes_csv_and_json_from_the_same_rows(store) -> None:
    export = ExportReadings(store, store.suppliers, store.queries, None, CLOCK)  # type: ignore[arg-type]
    got: dict[str, bytes] = {}
    for fmt in ("csv", "json"):
        got[fmt] = b"".join([c async for c in export.stream(SERVICE, "kte", OCTOBER, fmt)])
    rows = list(csv.DictReader(io.StringIO(got["csv"].decode())))
    items = json.loads(got["json"], parse_float=str)
    assert rows and [r["serial"] for r in rows] == [i["serial"] for i in items]
    assert [r["value"] for r in rows] == [i["value"] for i in items]
    with pytest.raises(DomainError) as bad:
        await export(SERVICE, "kte", OCTOBER, "pdf", lambda b: None)  # type: ignore[arg-type]
    assert bad.value.code == "portal.bad_format"


async def test_the_service_must_name_a_known_supplier_and_a_key_only_its_own(store) -> None:
    export = ExportReadings(store, store.suppliers, store.queries, None, CLOCK)  # type: ignore[arg-type]
    nobody = ListNonSubmitters(store, store.suppliers, store.queries, CLOCK)
    for caller, code in ((SERVICE, "nope"), (SERVICE, None), (SupplierKey(999), None)):
        with pytest.raises(DomainError) as refused:
            await export(caller, code, OCTOBER, "csv", lambda b: None)  # type: ignore[arg-type]
        assert refused.value.code == "supplier.not_found"
        with pytest.raises(DomainError):
            [r async for r in nobody(caller, code, OCTOBER)]
    kte = [r.meter_serial async for r in nobody(SERVICE, "kte", BillingPeriod(2026, 11))]
    assert "HW0019999" in kte
