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
