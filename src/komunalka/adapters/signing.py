"""Signed link tokens (itsdangerous, HMAC-SHA1 by default there; we ask for SHA-256): a number
and a purpose, keyed with the service's secret (KOMUNALKA_SECRET_KEY)."""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, URLSafeSerializer


class ItsDangerousSigner:
    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("the secret key must be at least 16 characters")
        self._secret = secret

    def _serializer(self, purpose: str) -> URLSafeSerializer:
        return URLSafeSerializer(
            self._secret, salt=purpose, signer_kwargs={"digest_method": hashlib.sha256}
        )

    def sign(self, purpose: str, value: int) -> str:
        token = self._serializer(purpose).dumps(value)
        return token if isinstance(token, str) else token.decode()

    def verify(self, purpose: str, token: str) -> int | None:
        try:
            value = self._serializer(purpose).loads(token)
        except BadSignature:
            return None
        return value if type(value) is int else None
