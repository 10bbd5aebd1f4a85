"""Phone numbers and the SMS door's commands."""

import pytest

from komunalka.domain.sms import SmsReading, normalize_phone, parse_sms_reading


@pytest.mark.parametrize(
    ("typed", "phone"),
    [
        ("+380501112233", "+380501112233"),
        ("380501112233", "+380501112233"),
        ("050 111 22 33", "+380501112233"),
        ("(050) 111-22-33", "+380501112233"),
        ("+44 20 7946 0958", "+442079460958"),
        ("12345", None),
        ("+0501112233", None),
        ("phone", None),
        ("", None),
    ],
)
def test_phone_numbers_are_written_in_e164(typed: str, phone: str | None) -> None:
    assert normalize_phone(typed) == phone


def test_an_account_and_a_reading() -> None:
    assert parse_sms_reading(" 1000001357   125,5 ") == SmsReading("1000001357", ("125,5",))


def test_an_account_and_day_and_night() -> None:
    assert parse_sms_reading("3000917 1200 640") == SmsReading("3000917", ("1200", "640"))


@pytest.mark.parametrize(
    "text",
    ["", "1000001357", "1000001357 1 2 3", "abc 125", "1000001357 12a", "1000001357 -5", "hi"],
)
def test_anything_else_is_not_a_reading(text: str) -> None:
    assert parse_sms_reading(text) is None


def test_an_exclamation_mark_confirms_a_warning() -> None:
    assert parse_sms_reading("1000001357 125!") == SmsReading("1000001357", ("125",), True)
    assert parse_sms_reading("1000001357 125 !") == SmsReading("1000001357", ("125",), True)


@pytest.mark.parametrize(
    "typed",
    ["1000001357 №1234 125,5", "1000001357 № 1234 125,5", "1000001357 #1234 125,5"],
)
def test_a_meter_is_named_by_its_serials_end(typed: str) -> None:
    assert parse_sms_reading(typed) == SmsReading("1000001357", ("125,5",), meter="1234")


def test_a_named_meter_is_normalized_and_takes_two_zones_and_a_confirmation() -> None:
    assert parse_sms_reading("3000917 №el-0011 1200 640!") == SmsReading(
        "3000917", ("1200", "640"), True, "EL0011"
    )


@pytest.mark.parametrize(
    "text", ["1000001357 № 125", "1000001357 №", "1000001357 №12$4 125", "№1234 1000001357 125"]
)
def test_a_mark_without_a_serial_is_not_a_reading(text: str) -> None:
    assert parse_sms_reading(text) is None


def test_serials_ends_are_as_short_as_tells_them_apart() -> None:
    from komunalka.channels.sms.door import serial_ends

    assert serial_ends(["HW0011234", "HW0015555"]) == ["1234", "5555"]
    assert serial_ends(["HW0011234", "HW0021234"]) == ["11234", "21234"]
    assert serial_ends(["AB1", "CD1"]) == ["AB1", "CD1"]  # shorter than four: whole
    assert serial_ends(["HW0011234"]) == ["1234"]
