"""Signed receipts: the canonical record, its token, tampering with any field, key rotation, and
what a person may type as a receipt number (docs/adr/0023-signed-receipts.md)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from komunalka.adapters.receipt_keys import Ed25519ReceiptKeys, rotate
from komunalka.application.readings.verify_receipt import (
    CheckReceiptToken,
    Verdict,
    masked,
    normalized_number,
    token_in,
)
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.receipts import FIELDS, ReceiptRecord, ReceiptToken

RECORD = ReceiptRecord(
    receipt="2611-7KQ2-M9XD",
    supplier="kte",
    account="1000000001",
    meter="HW0000001",
    period=BillingPeriod(2026, 11),
    register="T1",
    value=Decimal("123.45"),
    decimals=3,
    submitted_at=datetime(2026, 11, 20, 12, 4, 5, 678_000, tzinfo=UTC),
    channel="web",
)
CANONICAL = (
    b"komunalka-receipt/1\n"
    b"receipt=2611-7KQ2-M9XD\n"
    b"supplier=kte\n"
    b"account=1000000001\n"
    b"meter=HW0000001\n"
    b"period=2026-11\n"
    b"register=T1\n"
    b"value=123.450\n"
    b"time=2026-11-20T12:04:05Z\n"
    b"channel=web\n"
)


def keys() -> Ed25519ReceiptKeys:
    return Ed25519ReceiptKeys(Ed25519PrivateKey.generate())


def signed(k: Ed25519ReceiptKeys, record: ReceiptRecord = RECORD) -> str:
    data = record.canonical()
    kid, signature = k.sign(data)
    return ReceiptToken(data, kid, signature).text()


def test_the_canonical_record_is_fixed_fields_in_a_fixed_order_with_the_meters_decimals() -> None:
    assert RECORD.canonical() == CANONICAL


def test_the_time_is_utc_to_the_second_whatever_zone_it_came_in() -> None:
    from zoneinfo import ZoneInfo

    kyiv = RECORD.submitted_at.astimezone(ZoneInfo("Europe/Kyiv"))
    assert replace(RECORD, submitted_at=kyiv).canonical() == CANONICAL


def test_a_canonical_record_parses_back_to_the_same_bytes() -> None:
    parsed = ReceiptRecord.parse(CANONICAL)
    assert parsed.canonical() == CANONICAL
    assert parsed.value == Decimal("123.450") and parsed.decimals == 3


@pytest.mark.parametrize(
    "data",
    [
        CANONICAL.replace(b"value=123.450", b"value=123,450"),
        CANONICAL.replace(b"value=123.450", b"value=-123.450"),
        CANONICAL.replace(b"value=123.450", b"value=1.2E+2"),
        CANONICAL.replace(b"value=123.450", b"value=0123.450"),
        CANONICAL.replace(b"time=2026-11-20T12:04:05Z", b"time=2026-11-20T14:04:05+02:00"),
        CANONICAL.replace(b"period=2026-11", b"period=2026-13"),
        CANONICAL.replace(b"komunalka-receipt/1", b"komunalka-receipt/2"),
        CANONICAL[:-1],  # no final line feed
        CANONICAL + b"extra=1\n",
        CANONICAL.replace(b"\n", b"\r\n"),
        CANONICAL.replace(b"supplier=kte\naccount=1000000001", b"account=1000000001\nsupplier=kte"),
        CANONICAL.replace(b"meter=HW0000001", b"meter= HW0000001"),
        b"\xff\xfe",
        b"",
    ],
)
def test_only_the_one_canonical_encoding_of_a_record_is_accepted(data: bytes) -> None:
    with pytest.raises(DomainError) as caught:
        ReceiptRecord.parse(data)
    assert caught.value.code == "receipt.garbled"


@pytest.mark.parametrize("text", ["a\nb", "with\x00nul", " padded", ""])
def test_a_field_that_could_spill_into_another_cannot_be_written(text: str) -> None:
    with pytest.raises(ValueError, match="field"):
        replace(RECORD, meter=text).canonical()


def test_a_signed_token_is_genuine_and_says_what_it_records() -> None:
    k = keys()
    check = CheckReceiptToken(k)(signed(k))
    assert check.verdict is Verdict.GENUINE
    assert check.record is not None and check.record.canonical() == CANONICAL
    assert check.key_id == k.public_keys()[0].key_id


def test_signing_the_same_record_twice_gives_the_same_token() -> None:
    k = keys()
    assert signed(k) == signed(k)  # Ed25519 is deterministic


# Every field changed in the signed bytes themselves: the signature no longer matches.
TAMPERED = {
    "receipt": b"receipt=2611-7KQ2-M9XE",
    "supplier": b"supplier=kvk",
    "account": b"account=1000000002",
    "meter": b"meter=HW0000002",
    "period": b"period=2026-10",
    "register": b"register=day",
    "value": b"value=113.450",
    "time": b"time=2026-11-20T12:04:06Z",
    "channel": b"channel=api",
}


def test_every_field_has_a_tampering_case() -> None:
    assert set(TAMPERED) == set(FIELDS)


@pytest.mark.parametrize("field", FIELDS)
def test_tampering_with_any_field_is_caught(field: str) -> None:
    k = keys()
    token = ReceiptToken.parse(signed(k))
    line = next(x for x in CANONICAL.split(b"\n") if x.startswith(field.encode() + b"="))
    forged = replace(token, record=token.record.replace(line, TAMPERED[field]))
    assert forged.record != token.record
    assert CheckReceiptToken(k)(forged.text()).verdict is Verdict.FORGED


def test_a_changed_signature_or_a_key_id_of_no_key_is_caught() -> None:
    k = keys()
    token = ReceiptToken.parse(signed(k))
    flipped = bytes([token.signature[0] ^ 1]) + token.signature[1:]
    assert CheckReceiptToken(k)(replace(token, signature=flipped).text()).verdict is Verdict.FORGED
    other = replace(token, key_id="00000000")
    check = CheckReceiptToken(k)(other.text())
    assert check.verdict is Verdict.UNKNOWN_KEY and check.record is None


def test_a_token_signed_by_another_service_is_not_genuine() -> None:
    theirs, ours = keys(), keys()
    assert CheckReceiptToken(ours)(signed(theirs)).verdict is Verdict.UNKNOWN_KEY


def test_a_receipt_signed_before_a_rotation_still_checks_after_it(tmp_path: Path) -> None:
    active, retired = tmp_path / "receipt.pem", tmp_path / "retired.pem"
    before = Ed25519ReceiptKeys.from_files(active, retired)
    old_token = signed(before)
    old_id, new_id = rotate(active, retired)
    assert old_id == before.public_keys()[0].key_id and new_id != old_id
    after = Ed25519ReceiptKeys.from_files(active, retired)
    assert [(k.key_id, k.status) for k in after.public_keys()] == [
        (new_id, "active"),
        (old_id, "retired"),
    ]
    old = CheckReceiptToken(after)(old_token)
    assert old.verdict is Verdict.GENUINE and old.key_id == old_id
    assert ReceiptToken.parse(signed(after)).key_id == new_id
    # and again: both earlier keys stay published
    rotate(active, retired)
    again = Ed25519ReceiptKeys.from_files(active, retired)
    assert len(again.public_keys()) == 3
    assert CheckReceiptToken(again)(old_token).verdict is Verdict.GENUINE


def test_the_active_key_file_is_made_once_and_private(tmp_path: Path) -> None:
    active = tmp_path / "receipt.pem"
    first = Ed25519ReceiptKeys.from_files(active, tmp_path / "none.pem")
    assert active.stat().st_mode & 0o777 == 0o600
    second = Ed25519ReceiptKeys.from_files(active, tmp_path / "none.pem")
    assert first.public_keys() == second.public_keys()


def test_published_keys_check_offline_but_never_sign() -> None:
    k = keys()
    published = json.dumps(
        {
            "keys": [
                {
                    "kid": p.key_id,
                    "public_key": base64.urlsafe_b64encode(p.raw).decode().rstrip("="),
                    "status": p.status,
                }
                for p in k.public_keys()
            ]
        }
    )
    offline = Ed25519ReceiptKeys.from_published(published)
    assert CheckReceiptToken(offline)(signed(k)).verdict is Verdict.GENUINE
    with pytest.raises(RuntimeError):
        offline.sign(CANONICAL)
    for bad in ("{}", "not json", '{"keys": [{"public_key": "AAAA"}]}'):
        with pytest.raises(ValueError, match="published"):
            Ed25519ReceiptKeys.from_published(bad)


@pytest.mark.parametrize(
    "text",
    [
        "KR1",
        "KR1.",
        "KR1.a.b",
        "KR1.a.b.c.d",
        "KR2.YQ.0000abcd.YQ",
        "KR1.YQ.NOT-HEX!.YQ",
        "KR1.Y*Q.0000abcd.YQ",
        "KR1.YQ.0000abcd.YQ",  # a record that is not one
        "KR1." + "A" * 3000,
    ],
)
def test_a_garbled_token_is_refused_with_one_code(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        CheckReceiptToken(keys())(text)
    assert caught.value.code == "receipt.garbled"


def test_the_qr_codes_link_gives_its_token() -> None:
    k = keys()
    token = signed(k)
    link = f"https://komunalka.example/receipts/verify?t={token}"
    assert token_in(link) == token
    assert CheckReceiptToken(k)(link).verdict is Verdict.GENUINE


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("2611-7KQ2-M9XD", "2611-7KQ2-M9XD"),
        (" 2611 7kq2 m9xd ", "2611-7KQ2-M9XD"),
        ("26117KQ2M9XD", "2611-7KQ2-M9XD"),
        ("2611—7KQ2—M9XO", "2611-7KQ2-M9X0"),  # a dash and a letter O typed for zero
        ("2611-7KQ2-M9XL", "2611-7KQ2-M9X1"),
    ],
)
def test_a_receipt_number_is_read_the_way_people_type_it(typed: str, number: str) -> None:
    assert normalized_number(typed) == number


@pytest.mark.parametrize("typed", ["2611-7KQ2", "ABCD-7KQ2-M9XD", "2611-7KQ2-M9XD-1", "Ж" * 12])
def test_what_is_no_receipt_number_is_refused(typed: str) -> None:
    with pytest.raises(DomainError) as caught:
        normalized_number(typed)
    assert caught.value.code == "receipt.not_a_code"


def test_masking_keeps_only_the_last_characters() -> None:
    assert masked("1000000001") == "••••••0001"
    assert masked("12345") == "•••45"
    assert masked("HW0000001") == "•••••0001"


def test_processes_starting_at_once_share_one_new_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    active, retired = tmp_path / "receipt.pem", tmp_path / "retired.pem"
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: Ed25519ReceiptKeys.from_files(active, retired), range(16)))
    assert len({k.public_keys()[0].key_id for k in made}) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["receipt.pem"]  # no spare left behind
