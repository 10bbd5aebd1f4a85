"""How typed reading values are read: the forms people use, and the stable codes for the rest."""

from decimal import Decimal

import pytest

from komunalka.domain.errors import InvalidReading
from komunalka.domain.values import format_value, from_milli, parse_reading, to_milli


def _code_of(text: str | int | Decimal, digits: int = 6, decimals: int = 3) -> str:
    with pytest.raises(InvalidReading) as caught:
        parse_reading(text, digits, decimals)
    return caught.value.code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234,5", Decimal("1234.5")),
        ("1234.5", Decimal("1234.5")),
        ("12 345", Decimal("12345")),
        ("001234", Decimal("1234")),
        ("0", Decimal("0")),
        (" 42 ", Decimal("42")),
        ("12\u00a0345", Decimal("12345")),
        ("12\u202f345", Decimal("12345")),
        ("12\u2009345", Decimal("12345")),
        ("1 234,5", Decimal("1234.5")),
        (",5", Decimal("0.5")),
        (".5", Decimal("0.5")),
        ("5,", Decimal("5")),
        ("1,2340", Decimal("1.234")),
    ],
)
def test_reading_typed_the_way_people_write_it_is_read_exactly(text: str, expected: Decimal):
    assert parse_reading(text, 6, 3) == expected


def test_comma_and_point_give_the_same_value():
    assert parse_reading("1234,5", 6, 1) == parse_reading("1234.5", 6, 1)


def test_parsed_value_carries_three_decimal_places():
    assert str(parse_reading("1234,5", 6, 1)) == "1234.500"


def test_trailing_zeros_beyond_the_meters_decimals_are_not_extra_decimals():
    assert parse_reading("1234,500", 6, 1) == Decimal("1234.5")


def test_leading_zeros_do_not_count_against_the_dial_size():
    assert parse_reading("0012345", 5, 0) == Decimal("12345")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1234, Decimal("1234")), (Decimal("12.5"), Decimal("12.5")), (0, Decimal("0"))],
)
def test_numbers_already_parsed_are_accepted(value: int | Decimal, expected: Decimal):
    assert parse_reading(value, 6, 1) == expected


@pytest.mark.parametrize("text", ["", "   ", "\u00a0", " \t "])
def test_blank_reading_is_empty(text: str):
    assert _code_of(text) == "reading.empty"


@pytest.mark.parametrize("text", ["-5", "-0", "- 12 345", "\u22125", "\u20135", "-1,5"])
def test_minus_sign_is_negative(text: str):
    assert _code_of(text) == "reading.negative"


def test_negative_reading_keeps_what_was_typed_in_params():
    with pytest.raises(InvalidReading) as caught:
        parse_reading(" -5 ", 6, 0)
    assert caught.value.violations[0].params == {"value": "-5"}


@pytest.mark.parametrize("value", [-5, Decimal("-1"), Decimal("-0.001")])
def test_negative_number_is_negative(value: int | Decimal):
    assert _code_of(value) == "reading.negative"


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "Infinity", "sNaN"])
def test_nan_and_infinity_are_not_finite(text: str):
    assert _code_of(text) == "reading.not_finite"


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")])
def test_decimal_nan_and_infinity_are_not_finite(value: Decimal):
    assert _code_of(value) == "reading.not_finite"


@pytest.mark.parametrize("text", ["1e5", "1E+5", "1,5e3", "2.5E-1"])
def test_exponent_notation_is_refused(text: str):
    assert _code_of(text) == "reading.exponent"


@pytest.mark.parametrize(
    "text", ["abc", "1.2.3", ".", ",", "1,234.5", "1.234,5", "+5", "0x10", "1_000", "12a", "-"]
)
def test_text_that_is_not_a_plain_number_is_not_a_number(text: str):
    assert _code_of(text) == "reading.not_a_number"


def test_a_bool_is_not_a_number():
    assert _code_of(True) == "reading.not_a_number"


@pytest.mark.parametrize("text", ["100000", "123456", "100 000", "1 000 000,5"])
def test_more_whole_digits_than_the_dial_has_is_too_many_digits(text: str):
    assert _code_of(text, digits=5, decimals=1) == "reading.too_many_digits"


def test_the_largest_value_the_dial_shows_is_accepted():
    assert parse_reading("99999,999", 5, 3) == Decimal("99999.999")


def test_too_many_digits_names_the_dial_size():
    with pytest.raises(InvalidReading) as caught:
        parse_reading("123456", 5, 0)
    assert caught.value.violations[0].params == {"digits": "5"}


def test_decimal_too_large_for_the_dial_is_too_many_digits():
    assert _code_of(Decimal("1E+20"), digits=6, decimals=0) == "reading.too_many_digits"


@pytest.mark.parametrize(
    ("text", "decimals"),
    [("1.5", 0), ("1,25", 1), ("1 234,25", 1), ("1,2345", 3), ("1.1234567", 3)],
)
def test_more_decimals_than_the_meter_shows_is_too_many_decimals(text: str, decimals: int):
    assert _code_of(text, digits=6, decimals=decimals) == "reading.too_many_decimals"


def test_too_many_decimals_names_the_meters_decimals():
    with pytest.raises(InvalidReading) as caught:
        parse_reading("1,25", 6, 1)
    assert caught.value.violations[0].params == {"decimals": "1"}


def test_decimal_with_more_decimals_than_the_meter_shows_is_too_many_decimals():
    assert _code_of(Decimal("1.5"), digits=6, decimals=0) == "reading.too_many_decimals"


def test_negative_zero_decimal_is_negative_like_the_text_minus_zero():
    assert _code_of(Decimal("-0")) == "reading.negative"


def test_invalid_reading_carries_one_violation():
    with pytest.raises(InvalidReading) as caught:
        parse_reading("abc", 6, 0)
    assert len(caught.value.violations) == 1


@pytest.mark.parametrize(
    "value", [Decimal("0"), Decimal("0.001"), Decimal("1234.5"), Decimal("999999999.999")]
)
def test_thousandths_round_trip_exactly(value: Decimal):
    assert from_milli(to_milli(value)) == value


def test_storage_form_is_integer_thousandths():
    assert to_milli(Decimal("1234.5")) == 1234500


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        (Decimal("1234.000"), 0, "1234"),
        (Decimal("1234.500"), 1, "1234.5"),
        (Decimal("7"), 3, "7.000"),
    ],
)
def test_value_is_shown_with_the_meters_decimals(value: Decimal, decimals: int, shown: str):
    assert format_value(value, decimals) == shown


@pytest.mark.parametrize(
    ("text", "digits", "decimals"),
    [
        ("0", 5, 3),
        ("001234", 6, 0),
        ("12,5", 5, 3),
        ("12.500", 5, 1),
        ("99999.999", 5, 3),
        ("123456", 5, 0),
        ("1,2345", 5, 3),
        ("12,50", 5, 1),
        ("1 234", 5, 0),
        ("abc", 5, 0),
        ("", 5, 0),
    ],
)
def test_parse_milli_agrees_with_parse_reading(text: str, digits: int, decimals: int) -> None:
    from komunalka.domain.errors import InvalidReading
    from komunalka.domain.values import parse_milli, to_milli

    try:
        expected: object = to_milli(parse_reading(text, digits, decimals))
    except InvalidReading as exc:
        expected = exc.code
    try:
        got: object = parse_milli(text, digits, decimals)
    except InvalidReading as exc:
        got = exc.code
    assert got == expected
