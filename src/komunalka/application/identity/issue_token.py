"""IssueToken: a bearer token for the REST API, for an existing or a new resident.

Who may call it: an administrator (the command line). The token is shown once; only its SHA-256
is stored, so a leaked database does not leak tokens.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from komunalka.application.identity.ports import (
    ResidentRepository,
    TokenRepository,
    TokenRevocations,
)
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import AuditLog, Clock, Ticks
from komunalka.application.shared.tokens import token_hash
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError

TOKEN_PREFIX = "kmn_"  # noqa: S105 - a marker that makes leaked tokens easy to scan for


@dataclass(frozen=True, slots=True)
class IssuedToken:
    resident_id: int
    token: str


class IssueToken:
    def __init__(
        self,
        transactions: Transactions,
        residents: ResidentRepository,
        tokens: TokenRepository,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._residents = residents
        self._tokens = tokens
        self._audit = audit
        self._clock = clock

    async def __call__(
        self,
        actor: Actor,
        resident_id: int | None = None,
        new_resident: str | None = None,
        label: str = "",
        token: str | None = None,
    ) -> IssuedToken:
        """`token` fixes the secret (demo data only); otherwise 32 random bytes are drawn."""
        if (resident_id is None) == (new_resident is None):
            raise DomainError.of("token.resident_required")
        now = self._clock.now()
        secret = token or TOKEN_PREFIX + secrets.token_urlsafe(32)
        async with self._transactions(write=True) as tx:
            if new_resident is not None:
                if not new_resident.strip():
                    raise DomainError.of("token.resident_required")
                resident_id = await self._residents.add(new_resident.strip(), now)
            elif resident_id is None or not await self._residents.exists(resident_id):
                raise DomainError.of("resident.not_found", resident=resident_id)
            await self._tokens.add(resident_id, token_hash(secret), label, now)
            await self._audit.record(
                actor, "token.issue", f"resident:{resident_id}", {"label": label}, now
            )
            await tx.commit()
        return IssuedToken(resident_id, secret)


class RevokeToken:
    """RevokeToken: a bearer token stops working, at once on every process that shares the
    revocation count (`TokenRevocations`: Redis, or this process's memory). Who may call it: an
    administrator (the command line)."""

    def __init__(
        self,
        transactions: Transactions,
        tokens: TokenRepository,
        audit: AuditLog,
        clock: Clock,
        revocations: TokenRevocations,
    ) -> None:
        self._transactions = transactions
        self._tokens = tokens
        self._audit = audit
        self._clock = clock
        self._revocations = revocations

    async def __call__(self, actor: Actor, token: str) -> int:
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            resident_id = await self._tokens.revoke(token_hash(token.strip()), now)
            if resident_id is None:
                raise DomainError.of("token.not_found")
            subject = f"resident:{resident_id}"
            await self._audit.record(actor, "token.revoke", subject, {}, now)
            await tx.commit()
        # after the commit: a process that sees the new count and asks the database finds the
        # token revoked
        await self._revocations.bump()
        return resident_id


class Authenticate:
    """The resident a bearer token belongs to, or None. Read-only.

    Known tokens are remembered for `ttl` seconds of real time (`ticks`, never the business
    clock, which KOMUNALKA_NOW may freeze), bounded in number, so a busy client does not cost a
    database round trip per request. Each call reads the revocation count (`TokenRevocations`,
    one Redis GET when shared): when it has moved, everything remembered is forgotten, so a
    revoked token stops at once; when it cannot be read, the database answers every call.
    """

    def __init__(
        self,
        transactions: Transactions,
        tokens: TokenRepository,
        revocations: TokenRevocations,
        ticks: Ticks,
        ttl: float = 30,
        size: int = 10_000,
    ) -> None:
        self._transactions = transactions
        self._tokens = tokens
        self._revocations = revocations
        self._ticks = ticks
        self._ttl = ttl
        self._size = size
        self._known: dict[str, tuple[int, float]] = {}
        self._seen: int | None = None  # the revocation count `_known` was filled under

    async def __call__(self, token: str) -> int | None:
        if not token or len(token) > 200:
            return None
        digest = token_hash(token)
        # read before the database: a revocation after this read moves the count, so what is
        # remembered below is forgotten by the next call
        count = await self._revocations.current()
        if count != self._seen:
            self._known.clear()
            self._seen = count
        now = self._ticks()
        cached = self._known.get(digest)
        if count is not None and cached is not None and cached[1] > now:
            return cached[0]
        async with self._transactions():
            resident_id = await self._tokens.resident_for(digest)
        if resident_id is not None and count is not None:
            if len(self._known) >= self._size:
                self._known.clear()
            self._known[digest] = (resident_id, now + self._ttl)
        return resident_id
