"""The README's receipt format and its verifier for suppliers are the code's: the example record
parses as a canonical one, and the example verifier accepts a real token and catches a changed
one (docs/adr/0023-signed-receipts.md)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from komunalka.adapters.receipt_keys import Ed25519ReceiptKeys
from komunalka.domain.receipts import ReceiptRecord, ReceiptToken

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Receipts anyone can verify", 1)[1].split("\n## ", 1)[0]


def block(language: str, after: str = "") -> str:
    text = SECTION.split(after, 1)[1] if after else SECTION
    found = re.search(rf"```{language}\n(.*?)```", text, re.S)
    assert found is not None, f"no {language} block in the README's receipts section"
    return found[1]


def readme_verifier() -> Any:
    scope: dict[str, Any] = {}
    exec(compile(block("python"), "README.md", "exec"), scope)  # noqa: S102 - our own README
    return scope["verify"]


def published(keys: Ed25519ReceiptKeys) -> str:
    return json.dumps(
        {
            "format": "komunalka-receipt/1",
            "algorithm": "Ed25519",
            "keys": [
                {
                    "kid": k.key_id,
                    "public_key": base64.urlsafe_b64encode(k.raw).decode().rstrip("="),
                    "status": k.status,
                }
                for k in keys.public_keys()
            ],
        }
    )


def test_the_readmes_example_record_is_a_canonical_one() -> None:
    data = block("text").encode("utf-8")
    assert ReceiptRecord.parse(data).canonical() == data


def test_the_readmes_verifier_accepts_a_genuine_token_and_catches_a_changed_one() -> None:
    keys = Ed25519ReceiptKeys(Ed25519PrivateKey.generate())
    data = block("text").encode("utf-8")
    kid, signature = keys.sign(data)
    token = ReceiptToken(data, kid, signature).text()
    verify = readme_verifier()
    fields = verify(token, published(keys))
    assert fields["receipt"] == "2611-7KQ2-M9XD" and fields["value"] == "123.450"
    changed = ReceiptToken(data.replace(b"value=123.450", b"value=023.450"), kid, signature)
    with pytest.raises(InvalidSignature):
        verify(changed.text(), published(keys))
    other = Ed25519ReceiptKeys(Ed25519PrivateKey.generate())
    with pytest.raises(KeyError):
        verify(token, published(other))
