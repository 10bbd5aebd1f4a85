"""Password hashing with argon2id (argon2-cffi's defaults: RFC 9106's low-memory choice)."""

from __future__ import annotations

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Passwords:
    def __init__(self, *, time_cost: int = 3, memory_cost: int = 65536) -> None:
        self._hasher = _Argon2(time_cost=time_cost, memory_cost=memory_cost)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False
