"""Receipts' Ed25519 keys (`cryptography`; docs/adr/0023-signed-receipts.md).

The active private key lives in a PEM file (KOMUNALKA_RECEIPT_KEY_FILE; made on first use when
missing, as ./.komunalka-secret is); the public keys of retired ones in another PEM file, one
after another (KOMUNALKA_RECEIPT_RETIRED_KEYS_FILE). A key's id is the first four bytes of the
SHA-256 of its raw public key, in hex: nothing to configure, and the same everywhere.
`rotate` retires the active key and makes a new one; a receipt signed before still checks
against the retired key, which stays published."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from komunalka.application.readings.receipt_ports import PublicKey

_PEM_PUBLIC = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(raw: bytes) -> str:
    return hashlib.sha256(raw).digest()[:4].hex()


class Ed25519ReceiptKeys:
    """Signs with the active key (when it has one) and checks against every key it knows."""

    def __init__(
        self, active: Ed25519PrivateKey | None, retired: Sequence[Ed25519PublicKey] = ()
    ) -> None:
        self._active = active
        keys: dict[str, tuple[Ed25519PublicKey, str]] = {}
        for key in retired:
            keys[key_id(raw_public(key))] = (key, "retired")
        if active is not None:
            public = active.public_key()
            self._active_id = key_id(raw_public(public))
            keys[self._active_id] = (public, "active")
        self._keys = keys

    @classmethod
    def from_files(cls, active: Path, retired: Path) -> Ed25519ReceiptKeys:
        """The keys in these files; a missing active key file is made (mode 0600)."""
        if not active.exists():
            _create_once(active)
        private = load_pem_private_key(active.read_bytes(), password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError(f"{active} does not hold an Ed25519 private key")
        return cls(private, read_public_keys(retired))

    @classmethod
    def from_published(cls, text: str) -> Ed25519ReceiptKeys:
        """Check-only keys from the published JSON (``/receipts/keys.json``); ValueError when
        it is not that."""
        try:
            listed = json.loads(text)["keys"]
            raws = [base64.urlsafe_b64decode(k["public_key"] + "==") for k in listed]
            keys = [Ed25519PublicKey.from_public_bytes(raw) for raw in raws]
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise ValueError("not the published receipt keys") from exc
        return cls(None, keys)

    def sign(self, data: bytes) -> tuple[str, bytes]:
        if self._active is None:
            raise RuntimeError("these receipt keys only check signatures")
        return self._active_id, self._active.sign(data)

    def verify(self, key_id: str, data: bytes, signature: bytes) -> bool | None:
        known = self._keys.get(key_id)
        if known is None:
            return None
        try:
            known[0].verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def public_keys(self) -> list[PublicKey]:
        listed = [PublicKey(kid, raw_public(k), status) for kid, (k, status) in self._keys.items()]
        return sorted(listed, key=lambda k: (k.status != "active", k.key_id))


def write_private(path: Path, key: Ed25519PrivateKey) -> None:
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(pem)


def _create_once(path: Path) -> None:
    """A new key at `path` unless another process made one first: written whole to a file of
    its own, then linked into place, which fails if `path` exists (no half-written key read, no
    key overwritten)."""
    spare = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    write_private(spare, Ed25519PrivateKey.generate())
    try:
        os.link(spare, path)
    except FileExistsError:
        pass
    finally:
        spare.unlink()


def read_public_keys(path: Path) -> list[Ed25519PublicKey]:
    if not path.exists():
        return []
    keys = []
    for block in _PEM_PUBLIC.findall(path.read_bytes()):
        key = load_pem_public_key(block)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{path} holds a key that is not Ed25519")
        keys.append(key)
    return keys


def rotate(active: Path, retired: Path) -> tuple[str, str]:
    """Retires the active key (its public key appended to `retired`) and makes a new one;
    returns the retired key's id and the new one's."""
    if not active.exists():
        _create_once(active)
    current = load_pem_private_key(active.read_bytes(), password=None)
    if not isinstance(current, Ed25519PrivateKey):
        raise ValueError(f"{active} does not hold an Ed25519 private key")
    public = current.public_key()
    with retired.open("ab") as file:
        file.write(public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    new = Ed25519PrivateKey.generate()
    write_private(active, new)
    return key_id(raw_public(public)), key_id(raw_public(new.public_key()))
