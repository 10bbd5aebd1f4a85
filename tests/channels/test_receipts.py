"""Receipts anyone can verify, through their real doors on both databases: the QR code and the
short code under the cabinet's receipts, the printable receipt, the public check page, the API
and `komunalka verify-receipt` (docs/adr/0023-signed-receipts.md)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from komunalka.adapters.db.tables import sign_in_attempts
from komunalka.adapters.receipt_keys import Ed25519ReceiptKeys
from komunalka.application.readings.verify_receipt import (
    FAILED_LOOKUPS,
    CheckReceiptToken,
    Verdict,
    masked,
)
from komunalka.bootstrap.cli import app as cli
from komunalka.channels.pages.security import LANGUAGE_COOKIE
from komunalka.domain.receipts import ReceiptToken
from tests.channels.pages import Site, text_of
from tests.channels.test_cabinet import (
    bumped,
    count,
    demo_meters,
    form_of,
    form_of_correction,
    link,
    registers,
    sign_up,
)

TOKEN = re.compile(r'<code class="token">(KR1\.[A-Za-z0-9_.-]+)</code>')


async def send_two(site: Site) -> tuple[Any, list[str]]:
    """A resident sends two readings in the cabinet; the receipts page and its numbers."""
    await sign_up(site)
    await link(site, 4, "kvk")
    fields = form_of((await site.get("/readings")).text)
    for key in registers(fields)[:2]:
        fields[f"v.{key}"] = bumped(fields, key)
    page = await site.post("/readings", fields)
    assert page.status_code == 200, text_of(page.text)
    numbers = list(
        dict.fromkeys(re.findall(r'<strong class="receipt-no">(\S+)</strong>', page.text))
    )
    assert len(numbers) == 2
    return page, numbers


async def printable(site: Site, number: str) -> tuple[str, str]:
    page = await site.get(f"/receipts/{number}")
    assert page.status_code == 200, text_of(page.text)
    found = TOKEN.search(page.text)
    assert found is not None
    return page.text, found[1]


def account_of(site: Site) -> str:
    return demo_meters(site, 4, "kvk")[0].account


async def test_the_receipts_page_gives_each_receipt_a_short_code_and_a_qr_code(site: Site) -> None:
    page, numbers = await send_two(site)
    assert page.text.count('<svg viewBox="') == 2
    assert page.text.count('class="qr"') == 2
    svg = re.search(r"<svg.*?</svg>", page.text, re.S)[0]  # type: ignore[index]
    assert "style=" not in svg and "<script" not in svg  # nothing the CSP would refuse
    assert f"<title>QR-код квитанції {numbers[0]}</title>" in svg
    for number in numbers:
        assert f'href="/receipts/{number}"' in page.text
    assert "Підписані квитанції" in text_of(page.text)


async def test_the_printable_receipt_carries_the_whole_signed_record(site: Site) -> None:
    _, numbers = await send_two(site)
    html, token = await printable(site, numbers[0])
    text = text_of(html)
    assert account_of(site) in text  # the resident's own receipt: nothing hidden
    assert numbers[0] in text and "Київводоканал" in text
    record = ReceiptToken.parse(token).record.decode()
    assert record.startswith("komunalka-receipt/1\nreceipt=" + numbers[0] + "\nsupplier=kvk\n")
    assert f"account={account_of(site)}\n" in record and "channel=web\n" in record
    assert f"/receipts/verify?t={token}" in unescape(html)
    assert "на https://test/receipts/verify" in text  # KOMUNALKA_WEB_URL's, as the QR code's


async def test_another_resident_cannot_open_a_receipt_and_a_stranger_must_sign_in(
    site: Site,
) -> None:
    _, numbers = await send_two(site)
    await site.sign_out()
    anonymous = await site.get(f"/receipts/{numbers[0]}")
    assert anonymous.status_code == 303 and "/sign-in" in anonymous.headers["location"]
    await sign_up(site, "someone-else@example.com")
    assert (await site.get(f"/receipts/{numbers[0]}")).status_code == 404
    assert (await site.get("/receipts/2611-0000-0000")).status_code == 404


async def test_anyone_checks_a_receipt_by_its_number_and_sees_the_account_masked(
    site: Site,
) -> None:
    _, numbers = await send_two(site)
    await site.sign_out()
    typed = numbers[0].lower().replace("-", " ")
    page = await site.get(f"/receipts/verify?code={quote(typed)}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Квитанція справжня: сервіс прийняв це показання." in text
    assert numbers[0] in text and "прийнято" in text
    account = account_of(site)
    assert account not in text and masked(account) in text
    serial = demo_meters(site, 4, "kvk")[0].serial
    assert serial not in text
    site.client.cookies.set(LANGUAGE_COOKIE, "en")
    english = await site.get(f"/receipts/verify?code={numbers[0]}")
    assert "The receipt is genuine" in text_of(english.text)


async def test_the_qr_codes_link_says_the_signed_record_is_the_one_held(site: Site) -> None:
    _, numbers = await send_two(site)
    _, token = await printable(site, numbers[0])
    await site.sign_out()
    page = await site.get(f"/receipts/verify?t={token}")
    text = text_of(page.text)
    assert page.status_code == 200
    assert "підпис дійсний, і сервіс зберігає саме цей запис" in text
    assert account_of(site) in text  # the holder of the token has the record already


async def test_a_receipt_with_any_field_changed_is_not_genuine(site: Site) -> None:
    _, numbers = await send_two(site)
    _, token = await printable(site, numbers[0])
    parsed = ReceiptToken.parse(token)
    value = re.search(rb"value=([0-9.]+)\n", parsed.record)[1]  # type: ignore[index]
    higher = str(int(value.split(b".")[0]) + 100).encode() + value[len(value.split(b".")[0]) :]
    forged = ReceiptToken(
        parsed.record.replace(b"value=" + value, b"value=" + higher),
        parsed.key_id,
        parsed.signature,
    ).text()
    page = await site.get(f"/receipts/verify?t={forged}")
    assert page.status_code == 200
    assert "Квитанція не справжня: підпис не відповідає запису" in text_of(page.text)
    assert higher.decode() not in text_of(page.text)  # what a forgery claims is not repeated


@pytest.mark.parametrize(
    ("language", "typed", "message"),
    [
        ("uk", "hello", "Номер квитанції має вигляд 2611-7KQ2-M9XD"),
        ("en", "hello", "A receipt number looks like 2611-7KQ2-M9XD"),
        ("uk", "KR1.abc.def", "Це не схоже на квитанцію Комуналки"),
        ("en", "KR1.YQ.0000abcd.YQ", "This does not look like a Komunalka receipt"),
        ("en", "\x00" * 5, "A receipt number looks like"),
        ("uk", "2" * 3000, "Це не схоже на квитанцію Комуналки"),
    ],
)
async def test_garbage_is_told_in_the_readers_language_and_counts_nothing(
    site: Site, language: str, typed: str, message: str
) -> None:
    before = await count(site, sign_in_attempts)
    page = await site.get(
        "/receipts/verify", params={"code": typed}, headers={"accept-language": language}
    )
    assert page.status_code == 400
    assert message in text_of(page.text)
    assert 'role="alert"' in page.text
    assert await count(site, sign_in_attempts) == before


async def test_guessing_receipt_numbers_is_stopped_after_a_few_misses(site: Site) -> None:
    _, numbers = await send_two(site)
    await site.sign_out()
    for i in range(FAILED_LOOKUPS):
        miss = await site.get(f"/receipts/verify?code=2611-0000-{i:04d}")
        assert miss.status_code == 200
        assert "Квитанції з таким номером немає" in text_of(miss.text)
    stopped = await site.get(f"/receipts/verify?code={numbers[0]}")
    assert stopped.status_code == 429
    assert "Забагато перевірок невідомих номерів" in text_of(stopped.text)
    api = await site.client.post("/api/v1/receipts/verify", json={"receipt": numbers[0]})
    assert api.status_code == 429 and api.json()["error"]["code"] == "receipt.too_many"
    _, token = await printable_after_sign_in(site, numbers[0])
    # a token proves itself: it is never refused for the misses of numbers
    assert (await site.get(f"/receipts/verify?t={token}")).status_code == 200


async def printable_after_sign_in(site: Site, number: str) -> tuple[str, str]:
    await site.post("/sign-in", {"login": "olena@example.com", "password": "very-secret-1"})
    return await printable(site, number)


async def test_the_api_publishes_the_keys_and_checks_a_receipt(site: Site) -> None:
    _, numbers = await send_two(site)
    _, token = await printable(site, numbers[0])
    keys = (await site.client.get("/api/v1/receipts/keys")).json()
    assert keys["format"] == "komunalka-receipt/1" and keys["algorithm"] == "Ed25519"
    assert [k["status"] for k in keys["keys"]] == ["active"]
    assert keys["keys"][0]["kid"] == ReceiptToken.parse(token).key_id
    raw = base64.urlsafe_b64decode(keys["keys"][0]["public_key"] + "==")
    assert len(raw) == 32
    # a supplier checks offline with what is published
    offline = CheckReceiptToken(Ed25519ReceiptKeys.from_published(json.dumps(keys)))
    assert offline(token).verdict is Verdict.GENUINE

    by_token = await site.client.post("/api/v1/receipts/verify", json={"receipt": token})
    assert by_token.status_code == 200
    body = by_token.json()
    assert (body["verdict"], body["held"], body["status"]) == ("genuine", "same", "accepted")
    assert body["record"]["account"] == account_of(site)
    by_number = await site.client.post("/api/v1/receipts/verify", json={"receipt": numbers[1]})
    record = by_number.json()["record"]
    assert by_number.json()["verdict"] == "genuine" and record["account"].startswith("••")
    missing = await site.client.post("/api/v1/receipts/verify", json={"receipt": "2611-0000-0000"})
    assert missing.json() == {
        "verdict": "not_found",
        "record": None,
        "key_id": None,
        "held": None,
        "status": None,
    }


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"receipt": "nonsense"}, "receipt.not_a_code"),
        ({"receipt": "KR1.a.b.c"}, "receipt.garbled"),
        ({"receipt": ""}, "receipt.empty"),
        ({"receipt": 12}, "request.invalid"),
        ({"receipt": "x", "extra": 1}, "request.invalid"),
    ],
)
async def test_the_api_refuses_garbage_with_a_code_and_words(
    site: Site, body: dict[str, Any], code: str
) -> None:
    answer = await site.client.post(
        "/api/v1/receipts/verify", json=body, headers={"accept-language": "en"}
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]


async def test_a_corrected_receipt_still_checks_and_says_it_was_corrected(site: Site) -> None:
    await sign_up(site)
    await link(site, 4, "kvk")
    fields = form_of((await site.get("/readings")).text)
    key = registers(fields)[0]
    meter_id = key.split(".")[0]
    fields[f"v.{key}"] = bumped(fields, key, "2")
    sent = await site.post("/readings", fields)
    first = re.search(r'<strong class="receipt-no">(\S+)</strong>', sent.text)[1]  # type: ignore[index]
    correction = form_of_correction((await site.get(f"/meters/{meter_id}")).text, first)
    done = await site.post(
        f"/meters/{meter_id}/correct", {**correction, "value": bumped(fields, key, "1")}
    )
    assert done.status_code == 200, text_of(done.text)
    assert 'class="qr"' in done.text  # the correction's own signed receipt
    second = re.search(r'<strong class="receipt-no">(\S+)</strong>', done.text)[1]  # type: ignore[index]
    assert second != first
    old = (await site.client.post("/api/v1/receipts/verify", json={"receipt": first})).json()
    new = (await site.client.post("/api/v1/receipts/verify", json={"receipt": second})).json()
    assert (old["verdict"], old["status"]) == ("genuine", "superseded")
    assert (new["verdict"], new["status"]) == ("genuine", "accepted")
    page = text_of((await site.get(f"/receipts/verify?code={first}")).text)
    assert "виправлено пізнішим показанням" in page


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def run(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`komunalka …` as users run it, with the service's key files in a temporary folder; in a
    thread, as the command runs its own event loop."""
    monkeypatch.setenv("KOMUNALKA_DATABASE_URL", database_url)
    monkeypatch.setenv("KOMUNALKA_NOW", "2026-11-20T12:00:00+02:00")
    monkeypatch.setenv("KOMUNALKA_RECEIPT_KEY_FILE", str(tmp_path / "receipt-key.pem"))
    monkeypatch.setenv("KOMUNALKA_RECEIPT_RETIRED_KEYS_FILE", str(tmp_path / "retired.pem"))
    runner = CliRunner()

    async def invoke(*args: str, language: str = "uk") -> Any:
        env = {"KOMUNALKA_LANGUAGE": language}
        return await asyncio.to_thread(runner.invoke, cli, list(args), env=env)

    return invoke


async def test_verify_receipt_on_the_command_line_online_and_offline(
    site: Site, run: Any, tmp_path: Path
) -> None:
    _, numbers = await send_two(site)
    _, token = await printable(site, numbers[0])

    by_number = await run("verify-receipt", numbers[0])
    assert by_number.exit_code == 0, by_number.output
    assert "Квитанція справжня" in by_number.output
    assert account_of(site) not in by_number.output and account_of(site)[-4:] in by_number.output

    keys = tmp_path / "keys.json"
    keys.write_text((await site.client.get("/api/v1/receipts/keys")).text, encoding="utf-8")
    offline = await run("verify-receipt", token, "--keys", str(keys), language="en")
    assert offline.exit_code == 0, offline.output
    assert "The receipt is genuine" in offline.output
    assert f"Account: {account_of(site)}" in offline.output

    parsed = ReceiptToken.parse(token)
    forged = ReceiptToken(
        parsed.record.replace(b"channel=web", b"channel=api"), parsed.key_id, parsed.signature
    )
    refused = await run("verify-receipt", forged.text(), "--keys", str(keys))
    assert refused.exit_code == 1
    assert "Квитанція не справжня" in refused.output

    # the command's own service signs with its own key: the site's key is not one of its
    unknown = await run("verify-receipt", token)
    assert unknown.exit_code == 1 and parsed.key_id in unknown.output

    garbage = await run("verify-receipt", "KR1.!!", "--keys", str(keys), language="en")
    assert garbage.exit_code == 2
    assert "does not look like a Komunalka receipt" in garbage.output
    not_keys = tmp_path / "not-keys.json"
    not_keys.write_text("{}", encoding="utf-8")
    bad_keys = await run("verify-receipt", token, "--keys", str(not_keys), language="en")
    assert bad_keys.exit_code == 2 and "not the published receipt keys" in bad_keys.output


async def test_rotate_receipt_key_keeps_the_old_key_published(run: Any, tmp_path: Path) -> None:
    first = await run("rotate-receipt-key", language="en")
    assert first.exit_code == 0, first.output
    old, new = re.search(
        r"Key ([0-9a-f]{8}) retired.*new key: ([0-9a-f]{8})", first.output
    ).groups()  # type: ignore[union-attr]
    keys = Ed25519ReceiptKeys.from_files(tmp_path / "receipt-key.pem", tmp_path / "retired.pem")
    assert [(k.key_id, k.status) for k in keys.public_keys()] == [(new, "active"), (old, "retired")]
