"""IssueToken: a bearer token for the REST API, for an existing or a new resident.

Who may call it: an administrator (the command line). The token is shown once; only its SHA-256
is stored, so a leaked database does not leak tokens.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from komunalka.application.identity.ports import ResidentRepository, TokenRepository
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import AuditLog, Clock
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
    """RevokeToken: a bearer token stops working. Who may call it: an administrator (the command
    line). Servers that remember the token (Authenticate) drop it within their 30 seconds."""

    def __init__(
        self, transactions: Transactions, tokens: TokenRepository, audit: AuditLog, clock: Clock
    ) -> None:
        self._transactions = transactions
        self._tokens = tokens
        self._audit = audit
        self._clock = clock

    async def __call__(self, actor: Actor, token: str) -> int:
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            resident_id = await self._tokens.revoke(token_hash(token.strip()), now)
            if resident_id is None:
                raise DomainError.of("token.not_found")
            subject = f"resident:{resident_id}"
            await self._audit.record(actor, "token.revoke", subject, {}, now)
            await tx.commit()
        return resident_id


class Authenticate:
    """The resident a bearer token belongs to, or None. Read-only.

    Known tokens are remembered for `ttl` seconds (bounded in number), so a busy client does not
    cost a database round trip per request; a revoked token stops working within that time.
    """

    def __init__(
        self,
        transactions: Transactions,
        tokens: TokenRepository,
        clock: Clock,
        ttl: float = 30,
        size: int = 10_000,
    ) -> None:
        self._transactions = transactions
        self._tokens = tokens
        self._clock = clock
        self._ttl = ttl
        self._size = size
        self._known: dict[str, tuple[int, float]] = {}

    async def __call__(self, token: str) -> int | None:
        if not token or len(token) > 200:
            return None
        digest = token_hash(token)
        now = self._clock.now().timestamp()
        cached = self._known.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        async with self._transactions():
            resident_id = await self._tokens.resident_for(digest)
        if resident_id is not None:
            if len(self._known) >= self._size:
                self._known.clear()
            self._known[digest] = (resident_id, now + self._ttl)
        return resident_id
