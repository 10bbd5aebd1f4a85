"""Bearer tokens are stored only as their SHA-256: residents' API tokens (identity) and
suppliers' pull tokens (suppliers) alike."""

from __future__ import annotations

import hashlib


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
