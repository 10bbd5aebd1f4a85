"""A supplier's registry row: read whole, or refused with every stable code found."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from komunalka.domain.meters import MeterStatus
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.registry import (
    MAX_TEXT,
    REQUIRED,
    RegistryRow,
    _checked_row,
    _usual_row,
    cells_checker,
    named_cells,
    parse_registry_row,
)
from komunalka.domain.services import Service

GOOD = {
    "supplier": "yasno",
    "account": "4100123456",
    "holder": "Шевченко Тарас Григорович",
    "address": "Київ, вул. Хрещатик, 1, кв. 2",
    "district": "Шевченківський",
    "service": "electricity",
    "serial": "ab-0042 17",
    "registers": "day|night",
    "digits": "6",
    "decimals": "1",
    "verification_due": "2027-03-31",
    "status": "active",
    "period": "2024-05",
    "values": "100|50",
}


def row(**changes: str | None) -> dict[str, str | None]:
    return {**GOOD, **changes}


def parsed(**changes: str | None) -> RegistryRow:
    result = parse_registry_row(row(**changes))
    assert isinstance(result, RegistryRow), result
    return result


def codes_of(**changes: str | None) -> list[str]:
    result = parse_registry_row(row(**changes))
    assert isinstance(result, list), f"expected violations, got {result}"
    return [v.code for v in result]


# A good row


def test_good_row_parses():
    assert parsed() == RegistryRow(
        supplier="yasno",
        account="4100123456",
        holder="Шевченко Тарас Григорович",
        address="Київ, вул. Хрещатик, 1, кв. 2",
        district="Шевченківський",
        service=Service.ELECTRICITY,
        serial="AB004217",
        registers=("day", "night"),
        digits=6,
        decimals=1,
        verification_due=date(2027, 3, 31),
        status=MeterStatus.ACTIVE,
        period=BillingPeriod(2024, 5),
        values_milli=(100_000, 50_000),
    )


def test_zone_values_are_read_in_the_order_of_the_zones():
    assert parsed(values="1234,5|50").values_milli == (1_234_500, 50_000)


def test_comma_is_a_decimal_separator_in_values():
    assert parsed(registers="", values="1234,5").values_milli == (1_234_500,)


def test_serial_is_normalised():
    assert parsed(serial=" ab-0042/17 ").serial == "AB004217"


def test_cells_are_trimmed():
    assert parsed(holder="  Шевченко Тарас  ").holder == "Шевченко Тарас"


def test_registers_default_to_one_zone():
    assert parsed(registers="", values="100").registers == ("T1",)


def test_status_defaults_to_active():
    assert parsed(status="").status is MeterStatus.ACTIVE


def test_decimals_default_to_zero():
    assert parsed(decimals="", values="100|50").decimals == 0


def test_row_without_a_reading_has_no_period_and_no_values():
    row_ = parsed(period="", values="")
    assert (row_.period, row_.values_milli) == (None, ())


def test_row_without_a_verification_date_has_none():
    assert parsed(verification_due="").verification_due is None


def test_replaced_meter_is_read_with_its_status():
    assert parsed(status="replaced").status is MeterStatus.REPLACED


# Bad input: one stable code each, and no row


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"account": "12"}, "registry.bad_account"),
        ({"account": "41 00"}, "registry.bad_account"),
        ({"account": "4100#1"}, "registry.bad_account"),
        ({"serial": "ab"}, "registry.bad_serial"),
        ({"serial": "AB!42"}, "registry.bad_serial"),
        ({"service": "water"}, "registry.bad_service"),
        ({"service": "Electricity"}, "registry.bad_service"),
        ({"status": "broken"}, "registry.bad_status"),
        ({"verification_due": "2027-13-01"}, "registry.bad_date"),
        ({"verification_due": "31.03.2027"}, "registry.bad_date"),
        ({"values": "100"}, "registry.values_mismatch"),
        ({"values": "100|50|25"}, "registry.values_mismatch"),
        ({"values": ""}, "registry.values_mismatch"),
        ({"period": "2024-13"}, "period.invalid"),
        ({"period": ""}, "period.invalid"),
        ({"values": "abc|50"}, "reading.not_a_number"),
        ({"values": "100|-5"}, "reading.negative"),
        ({"values": "1000000|50"}, "reading.too_many_digits"),
        ({"values": "100,25|50"}, "reading.too_many_decimals"),
        ({"values": "1e3|50"}, "reading.exponent"),
        ({"registers": "", "values": ""}, "reading.empty"),
        ({"registers": "day|day"}, "meter.invalid_registers"),
        ({"registers": "evening", "values": "100"}, "meter.invalid_registers"),
        ({"registers": "T1|total"}, "meter.invalid_registers"),
        ({"digits": "10"}, "meter.invalid_digits"),
        ({"digits": "abc"}, "meter.invalid_digits"),
        ({"digits": "0"}, "meter.invalid_digits"),
        ({"decimals": "4"}, "meter.invalid_decimals"),
    ],
)
def test_bad_input_gives_its_code_and_no_row(changes: dict[str, str], code: str):
    assert codes_of(**changes) == [code]


def test_bad_account_names_the_account():
    result = parse_registry_row(row(account="12"))
    assert isinstance(result, list)
    assert result[0].params == {"account": "12"}


def test_every_problem_in_a_row_is_reported():
    assert codes_of(account="12", service="water", status="broken") == [
        "registry.bad_account",
        "registry.bad_service",
        "registry.bad_status",
    ]


def test_values_are_not_judged_when_the_meter_shape_is_wrong():
    assert codes_of(digits="10", values="abc|def") == ["meter.invalid_digits"]


@pytest.mark.parametrize(
    ("column", "text", "code"),
    [("digits", "²", "meter.invalid_digits"), ("decimals", "①", "meter.invalid_decimals")],
)
def test_digit_like_symbol_in_a_number_column_is_a_violation_not_a_crash(
    column: str, text: str, code: str
):
    assert codes_of(**{column: text}) == [code]


def test_unreadable_digits_are_reported_as_written():
    result = parse_registry_row(row(digits="abc"))
    assert isinstance(result, list)
    assert result[0].params == {"digits": "abc"}


# Missing columns


@pytest.mark.parametrize("column", REQUIRED)
def test_missing_required_column_is_reported(column: str):
    result = parse_registry_row({k: v for k, v in GOOD.items() if k != column})
    assert isinstance(result, list)
    assert [(v.code, v.params) for v in result] == [("registry.missing", {"column": column})]


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_blank_required_cell_is_missing(blank: str | None):
    assert codes_of(holder=blank) == ["registry.missing"]


def test_every_missing_required_column_is_reported():
    result = parse_registry_row({})
    assert isinstance(result, list)
    assert [v.params["column"] for v in result] == list(REQUIRED)


@pytest.mark.parametrize(
    "left_out",
    [
        ("district",),
        ("decimals",),
        ("status",),
        ("verification_due",),
        ("period", "values"),
        ("registers", "period", "values"),
    ],
)
def test_optional_columns_may_be_left_out(left_out: tuple[str, ...]):
    reduced = {k: v for k, v in GOOD.items() if k not in left_out}
    assert isinstance(parse_registry_row(reduced), RegistryRow)


# Too-long values


@pytest.mark.parametrize("column", ["holder", "address", "district", "supplier"])
def test_too_long_value_is_refused(column: str):
    result = parse_registry_row(row(**{column: "я" * (MAX_TEXT + 1)}))
    assert isinstance(result, list)
    assert [(v.code, v.params) for v in result] == [("registry.too_long", {"limit": str(MAX_TEXT)})]


def test_value_at_the_length_limit_is_accepted():
    assert parsed(address="я" * MAX_TEXT).address == "я" * MAX_TEXT


# The usual row takes a short way (a shape judged once, then the row's own cells); it must give
# exactly what the whole check gives, and nothing for a row the whole check refuses.
CELLS = {
    "supplier": ["yasno", "", " kte "],
    "account": ["4100123456", "12", "41 00", "A-1/2"],
    "holder": ["Шевченко", "", "x" * (MAX_TEXT + 1)],
    "address": ["Київ", " "],
    "district": ["", "Печерський", "y" * (MAX_TEXT + 1)],
    "service": ["electricity", "hot_water", "boiler", ""],
    "serial": ["ab-0042 17", "AB", "ЕЛ123", "HW5550001", "hw5550001", "z" * (MAX_TEXT + 1)],
    "registers": ["day|night", "", "T1", "day|day", "T1|T2|T3|TOTAL", "peak"],
    "digits": ["6", "5", "", "0", "x", "12"],
    "decimals": ["1", "", "3", "9", "-1"],
    "verification_due": ["2027-03-31", "", "2027-02-30", "soon"],
    "status": ["active", "", "replaced", "gone"],
    "period": ["2024-05", "", "2024-13", "may"],
    "values": ["100|50", "", "12,5", "1200", "-4", "99999999|1", "1.25|0", "7|8|9|10"],
}


CHANGES = [(column, cell) for column, cells in CELLS.items() for cell in cells]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(CHANGES), max_size=3))
def test_the_short_way_gives_what_the_whole_check_gives(changes: list[tuple[str, str]]) -> None:
    raw = row(**dict(changes))
    checked = _checked_row(raw)
    assert _usual_row(raw) == (checked if isinstance(checked, RegistryRow) else None)


def test_a_good_row_takes_the_short_way() -> None:
    assert _usual_row(GOOD) == _checked_row(GOOD)
    assert _usual_row(row(period="", values="")) == _checked_row(row(period="", values=""))


def test_filled_cells_past_the_header_refuse_the_row_and_empty_ones_do_not():
    header = list(GOOD)
    good = list(GOOD.values())
    assert not isinstance(parse_registry_row(named_cells(header, [*good, "", " "])), list)
    found = parse_registry_row(named_cells(header, [*good, "Хрещатик 1"]))
    assert isinstance(found, list)
    assert [(v.code, v.params) for v in found] == [("registry.extra_cells", {"count": "1"})]


# A file's reader gives the import a row as its cells in the header's order; checked by position,
# it must give what the same row gives by name, whatever the header: columns in any order, some
# missing, one repeated (the last one counts), unknown ones, a row longer or shorter than it.
HEADERS = st.tuples(
    st.permutations([*GOOD, "water_heater"]),
    st.lists(st.sampled_from(["note", "serial", "holder", "values"]), max_size=3),
    st.sampled_from([None, *GOOD]),
).map(lambda h: [n for n in h[0] if n != h[2]] + h[1])


def _another(name: str, i: int) -> str:
    cells = CELLS.get(name, ["z"])
    return cells[i % len(cells)]


@settings(max_examples=1500, deadline=None)
@given(
    HEADERS,
    st.lists(st.sampled_from(CHANGES), max_size=3),
    st.integers(min_value=-2, max_value=2),
    st.sampled_from(["", "x"]),
)
def test_cells_by_position_are_checked_as_by_name(
    header: list[str], changes: list[tuple[str, str]], longer: int, filler: str
) -> None:
    by_name = row(**dict(changes), water_heater="ні", note="")
    # A repeated column holds another cell each time: which one counts shows.
    cells = [
        by_name.get(name) or "" if name not in header[:i] else _another(name, i)
        for i, name in enumerate(header)
    ]
    cells = cells[: len(cells) + longer] if longer < 0 else cells + [filler] * longer
    expected = parse_registry_row(named_cells(header, cells))
    assert cells_checker(header)(cells) == expected


def test_a_usual_row_by_position_takes_the_short_way_for_any_column_order() -> None:
    header = list(reversed(GOOD))
    cells = [GOOD[name] or "" for name in header]
    assert cells_checker(header)(cells) == _checked_row(GOOD)
    assert cells_checker([*header, "\x00extra"])([*cells, "1"]) == parse_registry_row(
        named_cells([*header, "\x00extra"], [*cells, "1"])
    )
