"""RequestPasswordReset and ResetPassword: a forgotten password, replaced through a one-time
token the resident receives.

Who may call them: the web doors. Guarantees: a reset token is issued only for a login that
exists, at most three an hour per login, and the answer does not tell which logins exist (the
door says the same either way); the token and the outbox message that carries it are written
in one transaction, so a failure leaves neither (never a token nobody was sent); the token works
once, within an hour, and ends every other session of the resident. The door words the
message (the link to its page, in the reader's language) through the `ResetMessageComposer` it
passes in; the core keeps to the token.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from komunalka.application.identity.ports import (
    OneTimeTokenRepository,
    ResetMessageComposer,
    ResetTicket,
    SignInAttemptRepository,
    WebLoginRepository,
    WebSessionRepository,
)
from komunalka.application.identity.sign_in import OpenedSession, hash_token, open_session
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.logins import RESIDENT, check_password, normalize_login
from komunalka.application.shared.ports import AuditLog, Clock, Outbox, PasswordHasher
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel

RESET_LINK_LIFETIME = timedelta(hours=1)
RESETS_PER_HOUR = 3
RESET_PURPOSE = "password_reset"


class RequestPasswordReset:
    def __init__(
        self,
        transactions: Transactions,
        logins: WebLoginRepository,
        attempts: SignInAttemptRepository,
        tokens: OneTimeTokenRepository,
        outbox: Outbox,
        clock: Clock,
        wall: Clock | None = None,
    ) -> None:
        """`wall`: real time, which the requests are counted on (`clock` may be frozen)."""
        self._transactions = transactions
        self._logins = logins
        self._attempts = attempts
        self._tokens = tokens
        self._outbox = outbox
        self._clock = clock
        self._wall = wall or clock

    async def __call__(self, login: str, compose: ResetMessageComposer) -> bool:
        """True when a message with a new token went to the outbox; False, with nothing
        written, for an unknown login or past the limit (the door must not tell which)."""
        normalized = normalize_login(login)
        token = secrets.token_urlsafe(32)
        ticket = ResetTicket(token, "email" if "@" in normalized else "sms", normalized)
        # Worded before the transaction opens, for every login alike: no door code runs while
        # it is open, and an unknown login takes as long as a known one.
        message = compose(ticket)
        now, real = self._clock.now(), self._wall.now()
        key = f"reset:login:{normalized}"
        async with self._transactions(write=True) as tx:
            found = await self._logins.by_login(normalized)
            recent = await self._attempts.failures_since(key, real - timedelta(hours=1))
            if found is None or recent >= RESETS_PER_HOUR:
                return False
            await self._attempts.add(key, False, real)
            expires = now + RESET_LINK_LIFETIME
            await self._tokens.add(hash_token(token), RESET_PURPOSE, found.resident_id, expires)
            await self._outbox.add(message, now)
            await tx.commit()
        return True


class ResetPassword:
    def __init__(
        self,
        transactions: Transactions,
        tokens: OneTimeTokenRepository,
        logins: WebLoginRepository,
        sessions: WebSessionRepository,
        audit: AuditLog,
        passwords: PasswordHasher,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._tokens = tokens
        self._logins = logins
        self._sessions = sessions
        self._audit = audit
        self._passwords = passwords
        self._clock = clock

    async def __call__(self, token: str, password: str) -> OpenedSession:
        check_password(password)
        hashed = self._passwords.hash(password)
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            resident_id = await self._tokens.use(hash_token(token), RESET_PURPOSE, now)
            if resident_id is None or not await self._logins.of_resident(resident_id):
                raise DomainError.of("signin.reset_invalid")
            await self._logins.set_password(resident_id, hashed)
            await self._sessions.remove_all(RESIDENT, resident_id)
            actor = Actor.resident(resident_id, Channel.WEB)
            subject = f"resident:{resident_id}"
            await self._audit.record(actor, "resident.password_reset", subject, {}, now)
            opened = await open_session(self._sessions, RESIDENT, resident_id, now)
            await tx.commit()
        return opened
