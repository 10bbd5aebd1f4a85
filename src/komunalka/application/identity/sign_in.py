"""Signing in to the web doors: residents (e-mail or phone and a password) and staff; sessions
that expire. (A one-time reset link: reset_password.py; Telegram's Login Widget:
sign_in_with_telegram.py.)

Who may call them: the web doors, for the browser in front of them. Guarantees: passwords are
stored only as the hasher's hash; wrong passwords are limited per login and address, per address,
and slowed per login (sign_in_limits.py); an
unknown login costs the same as a wrong password and answers the same; a session token is shown
to the browser only, the database keeps its SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from komunalka.application.identity.ports import (
    ResidentProfile,
    ResidentProfileRepository,
    ResidentRepository,
    WebLoginRepository,
    WebSession,
    WebSessionRepository,
)
from komunalka.application.identity.sign_in_limits import Attempt, SignInLimits
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.logins import (
    RESIDENT,
    STAFF,
    check_password,
    normalize_login,
)
from komunalka.application.shared.lookalikes import refuse_lookalikes
from komunalka.application.shared.ports import (
    AuditLog,
    Clock,
    Conflict,
    PasswordHasher,
    StaffRepository,
)
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from komunalka.domain.staff import StaffMember

__all__ = [
    "RESIDENT",
    "STAFF",
    "OpenedSession",
    "SignIn",
    "SignInStaff",
    "SignUp",
    "Viewer",
    "hash_token",
    "open_session",
]

RESIDENT_SESSION = timedelta(days=14)
STAFF_SESSION = timedelta(hours=8)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class OpenedSession:
    """A new session: `token` goes into the browser's cookie and nowhere else."""

    token: str
    kind: str
    subject_id: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who a live session belongs to: a resident (with their profile) or a staff member."""

    kind: str
    subject_id: int
    expires_at: datetime
    profile: ResidentProfile | None = None
    staff: StaffMember | None = None

    @property
    def actor(self) -> Actor:
        if self.staff is not None:
            return Actor(ActorKind.OPERATOR, self.staff.id, Channel.WEB)
        return Actor.resident(self.subject_id, Channel.WEB)


async def open_session(
    sessions: WebSessionRepository, kind: str, subject_id: int, now: datetime
) -> OpenedSession:
    """A new session, written in the caller's transaction."""
    token = secrets.token_urlsafe(32)
    lifetime = RESIDENT_SESSION if kind == RESIDENT else STAFF_SESSION
    session = WebSession(hash_token(token), kind, subject_id, now + lifetime)
    await sessions.add(session, now)
    return OpenedSession(token, kind, subject_id, session.expires_at)


class SignUp:
    def __init__(
        self,
        transactions: Transactions,
        residents: ResidentRepository,
        logins: WebLoginRepository,
        profiles: ResidentProfileRepository,
        sessions: WebSessionRepository,
        audit: AuditLog,
        passwords: PasswordHasher,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._residents = residents
        self._logins = logins
        self._profiles = profiles
        self._sessions = sessions
        self._audit = audit
        self._passwords = passwords
        self._clock = clock

    async def __call__(
        self, login: str, password: str, name: str, language: str = "uk"
    ) -> OpenedSession:
        normalized = normalize_login(login)
        check_password(password)
        name = name.strip()[:200]
        if not name or "\x00" in name:  # PostgreSQL keeps no NUL in a text
            raise DomainError.of("signin.name_required")
        hashed = self._passwords.hash(password)
        language = language if language in ("uk", "en") else "uk"
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            if await self._logins.by_login(normalized) is not None:
                raise DomainError.of("signin.login_taken")
            await refuse_lookalikes(normalized, self._taken)
            resident_id = await self._residents.add(name, now)
            try:
                await self._logins.add(resident_id, normalized, hashed, now)
            except Conflict as exc:
                raise DomainError.of("signin.login_taken") from exc
            await self._profiles.save(ResidentProfile(resident_id, language, contact=normalized))
            actor = Actor.resident(resident_id, Channel.WEB)
            subject = f"resident:{resident_id}"
            await self._audit.record(actor, "resident.sign_up", subject, {}, now)
            opened = await open_session(self._sessions, RESIDENT, resident_id, now)
            await tx.commit()
        return opened

    async def _taken(self, login: str) -> bool:
        return await self._logins.by_login(login) is not None


class SignIn:
    def __init__(
        self,
        transactions: Transactions,
        logins: WebLoginRepository,
        sessions: WebSessionRepository,
        limits: SignInLimits,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._logins = logins
        self._limits = limits
        self._sessions = sessions
        self._clock = clock

    async def __call__(self, login: str, password: str, address: str = "") -> OpenedSession:
        attempt = Attempt(RESIDENT, normalize_login(login), address)
        async with self._transactions():
            pause = await self._limits.admit(attempt)
            found = await self._logins.by_login(attempt.login)
        await self._limits.wait(pause)
        ok = self._limits.verify(found.password_hash if found else None, password)
        async with self._transactions(write=True) as tx:
            await self._limits.record(attempt, ok)
            if not ok or found is None:
                await tx.commit()
                raise DomainError.of("signin.wrong")
            now = self._clock.now()
            opened = await open_session(self._sessions, RESIDENT, found.resident_id, now)
            await tx.commit()
        return opened


class SignInStaff:
    def __init__(
        self,
        transactions: Transactions,
        staff: StaffRepository,
        sessions: WebSessionRepository,
        audit: AuditLog,
        limits: SignInLimits,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._staff = staff
        self._limits = limits
        self._sessions = sessions
        self._audit = audit
        self._clock = clock

    async def __call__(self, login: str, password: str, address: str = "") -> OpenedSession:
        normalized = login.strip().lower()[:254]
        if not normalized or "\x00" in normalized:  # PostgreSQL keeps no NUL in a text
            raise DomainError.of("signin.bad_login")
        attempt = Attempt(STAFF, normalized, address)
        async with self._transactions():
            pause = await self._limits.admit(attempt)
            found = await self._staff.by_login(normalized)
        await self._limits.wait(pause)
        ok = self._limits.verify(found.password_hash if found else None, password)
        ok = ok and found is not None and found.member.active
        async with self._transactions(write=True) as tx:
            await self._limits.record(attempt, ok)
            if not ok or found is None:
                await tx.commit()
                raise DomainError.of("signin.wrong")
            member_id = found.member.id
            now = self._clock.now()
            opened = await open_session(self._sessions, STAFF, member_id, now)
            actor = Actor(ActorKind.OPERATOR, member_id, Channel.WEB)
            await self._audit.record(actor, "staff.sign_in", f"staff:{member_id}", {}, now)
            await tx.commit()
        return opened
