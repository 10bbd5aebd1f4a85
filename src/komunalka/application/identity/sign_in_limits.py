"""How wrong passwords are limited, so that guessing is slow and nobody can lock a person out.

After OWASP's Authentication Cheat Sheet ("Account lockout": a lock on the login alone lets
anyone deny a person, the administrator included, their account): failures are counted

- per login *and* address: 5 in 15 minutes refuse that address for that login, and only it;
- per address: 30 in 15 minutes refuse the address for every login;
- per login from anywhere: past 10 in 15 minutes, an address that has not signed in to the login
  in the last 30 days waits before its password is checked (half a second more for each
  further failure, at most 5 s): a guesser spread over many addresses is slowed, while the
  person, from an address they used before, is not, and from a new one only waits.

Counted on the wall clock (`wall`: real time, shared by every process through the database),
never the business clock: with KOMUNALKA_NOW frozen, a failure would never age out.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from komunalka.application.identity.ports import SignInAttemptRepository
from komunalka.application.shared.ports import Clock, PasswordHasher
from komunalka.domain.errors import DomainError

ATTEMPT_WINDOW = timedelta(minutes=15)
FAILURES_PER_PAIR = 5
FAILURES_PER_ADDRESS = 30
SLOW_AFTER = 10
PAUSE_STEP = 0.5
MAX_PAUSE = 5.0
KNOWN_GOOD = timedelta(days=30)

# Waits this many seconds (asyncio.sleep); tests record instead.
Pause = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at a login (already normalized) from an address (the door's client address)."""

    prefix: str  # the kind of sign-in: resident, staff
    login: str
    address: str

    @property
    def pair(self) -> str:
        # hashed: a 254-character login and an IPv6 address would not fit the key's column
        both = hashlib.sha256(f"{self.login}|{self.address}".encode()).hexdigest()
        return f"{self.prefix}:pair:{both}"

    @property
    def by_address(self) -> str:
        return f"{self.prefix}:ip:{self.address or '-'}"

    @property
    def by_login(self) -> str:
        return f"{self.prefix}:login:{self.login}"


class SignInLimits:
    """Shared by the password sign-ins. `admit` and `record` act in the caller's transaction;
    `wait` and `verify` must run outside one (they take time, and SQLite's write lock is one)."""

    def __init__(
        self,
        attempts: SignInAttemptRepository,
        passwords: PasswordHasher,
        wall: Clock,
        pause: Pause,
    ) -> None:
        self._attempts = attempts
        self._passwords = passwords
        self._wall = wall
        self._pause = pause
        # verified when the login is unknown, so an unknown login takes as long as a known one
        self._decoy: str | None = None

    async def admit(self, attempt: Attempt) -> float:
        """Refuses (``signin.too_many``) an address past its limits; else the seconds it must
        wait before its password is checked."""
        now = self._wall.now()
        since = now - ATTEMPT_WINDOW
        limits = ((attempt.pair, FAILURES_PER_PAIR), (attempt.by_address, FAILURES_PER_ADDRESS))
        for key, limit in limits:
            if await self._attempts.failures_since(key, since) >= limit:
                minutes = int(ATTEMPT_WINDOW.total_seconds() // 60)
                raise DomainError.of("signin.too_many", minutes=minutes)
        failures = await self._attempts.failures_since(attempt.by_login, since)
        if failures < SLOW_AFTER:
            return 0.0
        if await self._attempts.succeeded_since(attempt.pair, now - KNOWN_GOOD):
            return 0.0
        return min(MAX_PAUSE, PAUSE_STEP * (failures - SLOW_AFTER + 1))

    async def wait(self, seconds: float) -> None:
        if seconds > 0:
            await self._pause(seconds)

    def verify(self, hashed: str | None, password: str) -> bool:
        if hashed is None:
            if self._decoy is None:
                self._decoy = self._passwords.hash(secrets.token_urlsafe(16))
            self._passwords.verify(self._decoy, password)
            return False
        return self._passwords.verify(hashed, password)

    async def record(self, attempt: Attempt, ok: bool) -> None:
        """A success marks the address good for the login; a failure counts on all three."""
        now = self._wall.now()
        if ok:
            await self._attempts.add(attempt.pair, True, now)
            return
        for key in (attempt.pair, attempt.by_address, attempt.by_login):
            await self._attempts.add(key, False, now)
