"""Signing in to the web doors: residents (e-mail or phone and a password, a one-time reset link,
Telegram's Login Widget) and staff; sessions that expire.

Who may call them: the web doors, for the browser in front of them. Guarantees: passwords are
stored only as the hasher's hash; wrong passwords are limited per login and per address; an
unknown login costs the same as a wrong password and answers the same; a reset link works once,
within an hour, and ends every other session of the resident; a session token is shown to the
browser only, the database keeps its SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from komunalka.application.ports import (
    Clock,
    Conflict,
    Identity,
    OutgoingMessage,
    PasswordHasher,
    ResidentProfile,
    UnitOfWork,
    UnitOfWorkFactory,
    WebSession,
)
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from komunalka.domain.staff import StaffMember

RESIDENT_SESSION = timedelta(days=14)
STAFF_SESSION = timedelta(hours=8)
ATTEMPT_WINDOW = timedelta(minutes=15)
FAILURES_PER_LOGIN = 5
FAILURES_PER_ADDRESS = 30
RESET_LINK_LIFETIME = timedelta(hours=1)
RESETS_PER_HOUR = 3
TELEGRAM_LOGIN_LIFETIME = timedelta(days=1)
MIN_PASSWORD = 8
MAX_PASSWORD = 128

RESIDENT = "resident"
STAFF = "staff"
RESET_PURPOSE = "password_reset"

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_login(text: str) -> str:
    """An e-mail (lower-cased) or a Ukrainian phone number as +380XXXXXXXXX; anything else is
    refused with ``signin.bad_login``."""
    value = text.strip()
    if "@" in value:
        value = value.lower()
        if len(value) > 254 or not _EMAIL.match(value):
            raise DomainError.of("signin.bad_login")
        return value
    digits = re.sub(r"[\s()\-]", "", value)
    if digits.startswith("+"):
        digits = digits[1:]
    if not digits.isdigit():
        raise DomainError.of("signin.bad_login")
    if len(digits) == 10 and digits.startswith("0"):
        digits = "38" + digits
    if len(digits) != 12 or not digits.startswith("380"):
        raise DomainError.of("signin.bad_login")
    return "+" + digits


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise DomainError.of("signin.weak_password", length=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise DomainError.of("signin.long_password", length=MAX_PASSWORD)


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


async def _open(uow: UnitOfWork, kind: str, subject_id: int, now: datetime) -> OpenedSession:
    token = secrets.token_urlsafe(32)
    lifetime = RESIDENT_SESSION if kind == RESIDENT else STAFF_SESSION
    session = WebSession(hash_token(token), kind, subject_id, now + lifetime)
    await uow.web_sessions.add(session, now)
    return OpenedSession(token, kind, subject_id, session.expires_at)


class _Limited:
    """Shared by the password sign-ins: failures counted per login and per address."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, passwords: PasswordHasher) -> None:
        self._uow = uow
        self._clock = clock
        self._passwords = passwords
        # verified when the login is unknown, so an unknown login takes as long as a known one
        self._decoy: str | None = None

    async def _check_limits(self, uow: UnitOfWork, keys: list[str], now: datetime) -> None:
        since = now - ATTEMPT_WINDOW
        limits = (FAILURES_PER_LOGIN, FAILURES_PER_ADDRESS)
        for key, limit in zip(keys, limits, strict=False):
            if await uow.sign_in_attempts.failures_since(key, since) >= limit:
                minutes = int(ATTEMPT_WINDOW.total_seconds() // 60)
                raise DomainError.of("signin.too_many", minutes=minutes)

    def _verify(self, hashed: str | None, password: str) -> bool:
        if hashed is None:
            if self._decoy is None:
                self._decoy = self._passwords.hash(secrets.token_urlsafe(16))
            self._passwords.verify(self._decoy, password)
            return False
        return self._passwords.verify(hashed, password)

    async def _record(self, uow: UnitOfWork, keys: list[str], ok: bool, now: datetime) -> None:
        for key in keys:
            await uow.sign_in_attempts.add(key, ok, now)


def _keys(prefix: str, login: str, address: str) -> list[str]:
    return [f"{prefix}:login:{login}", f"{prefix}:ip:{address or '-'}"]


class SignUp:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, passwords: PasswordHasher) -> None:
        self._uow = uow
        self._clock = clock
        self._passwords = passwords

    async def __call__(
        self, login: str, password: str, name: str, language: str = "uk"
    ) -> OpenedSession:
        normalized = normalize_login(login)
        check_password(password)
        name = name.strip()[:200]
        if not name:
            raise DomainError.of("signin.name_required")
        hashed = self._passwords.hash(password)
        now = self._clock.now()
        async with self._uow(write=True) as uow:
            if await uow.web_logins.by_login(normalized) is not None:
                raise DomainError.of("signin.login_taken")
            resident_id = await uow.residents.add(name, now)
            try:
                await uow.web_logins.add(resident_id, normalized, hashed, now)
            except Conflict as exc:
                raise DomainError.of("signin.login_taken") from exc
            language = language if language in ("uk", "en") else "uk"
            await uow.profiles.save(ResidentProfile(resident_id, language, contact=normalized))
            actor = Actor.resident(resident_id, Channel.WEB)
            await uow.audit.record(actor, "resident.sign_up", f"resident:{resident_id}", {}, now)
            opened = await _open(uow, RESIDENT, resident_id, now)
            await uow.commit()
        return opened


class SignIn(_Limited):
    async def __call__(self, login: str, password: str, address: str = "") -> OpenedSession:
        normalized = normalize_login(login)
        keys = _keys(RESIDENT, normalized, address)
        now = self._clock.now()
        async with self._uow(write=True) as uow:
            await self._check_limits(uow, keys, now)
            found = await uow.web_logins.by_login(normalized)
            ok = self._verify(found.password_hash if found else None, password)
            await self._record(uow, keys, ok, now)
            if not ok or found is None:
                await uow.commit()
                raise DomainError.of("signin.wrong")
            opened = await _open(uow, RESIDENT, found.resident_id, now)
            await uow.commit()
        return opened


class SignInStaff(_Limited):
    async def __call__(self, login: str, password: str, address: str = "") -> OpenedSession:
        normalized = login.strip().lower()[:254]
        if not normalized:
            raise DomainError.of("signin.bad_login")
        keys = _keys(STAFF, normalized, address)
        now = self._clock.now()
        async with self._uow(write=True) as uow:
            await self._check_limits(uow, keys, now)
            found = await uow.staff.by_login(normalized)
            ok = self._verify(found.password_hash if found else None, password)
            ok = ok and found is not None and found.member.active
            await self._record(uow, keys, ok, now)
            if not ok or found is None:
                await uow.commit()
                raise DomainError.of("signin.wrong")
            opened = await _open(uow, STAFF, found.member.id, now)
            actor = Actor(ActorKind.OPERATOR, found.member.id, Channel.WEB)
            await uow.audit.record(actor, "staff.sign_in", f"staff:{found.member.id}", {}, now)
            await uow.commit()
        return opened


def telegram_login_valid(fields: Mapping[str, str], bot_token: str) -> bool:
    """The Login Widget's check: `hash` is the HMAC-SHA256 of the other fields, sorted as
    ``key=value`` lines, keyed with SHA-256 of the bot's token."""
    given = fields.get("hash", "")
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    key = hashlib.sha256(bot_token.encode()).digest()
    expected = hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
    return bool(given) and hmac.compare_digest(expected, given.lower())


def verified_telegram_user(
    fields: Mapping[str, str], bot_token: str | None, now: datetime
) -> tuple[str, str]:
    """The Telegram user id and name the Login Widget vouches for; refuses forged or stale
    fields (``signin.telegram_invalid``, ``signin.telegram_expired``)."""
    if not bot_token or not telegram_login_valid(fields, bot_token):
        raise DomainError.of("signin.telegram_invalid")
    try:
        signed_at = int(fields.get("auth_date", ""))
    except ValueError as exc:
        raise DomainError.of("signin.telegram_invalid") from exc
    if now.timestamp() - signed_at > TELEGRAM_LOGIN_LIFETIME.total_seconds():
        raise DomainError.of("signin.telegram_expired")
    user_id = fields.get("id", "")
    if not user_id.isdigit():
        raise DomainError.of("signin.telegram_invalid")
    name = " ".join(filter(None, (fields.get("first_name"), fields.get("last_name"))))
    return user_id, name


class SignInWithTelegram:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, bot_token: str | None) -> None:
        self._uow = uow
        self._clock = clock
        self._bot_token = bot_token

    @property
    def available(self) -> bool:
        return bool(self._bot_token)

    async def __call__(self, fields: Mapping[str, str]) -> OpenedSession:
        now = self._clock.now()
        user_id, name = verified_telegram_user(fields, self._bot_token, now)
        async with self._uow(write=True) as uow:
            identity = await uow.identities.get(Channel.TELEGRAM.value, user_id)
            if identity is None:
                resident_id = await uow.residents.add(name.strip()[:200] or user_id, now)
                identity = Identity(Channel.TELEGRAM.value, user_id, resident_id, "uk", False)
                await uow.identities.add(identity, now)
                actor = Actor.resident(resident_id, Channel.WEB)
                await uow.audit.record(actor, "resident.join", f"resident:{resident_id}", {}, now)
            opened = await _open(uow, RESIDENT, identity.resident_id, now)
            await uow.commit()
        return opened


class RequestPasswordReset:
    """Writes a one-time link to the outbox when the login exists; answers the same either way,
    so the form tells no one which logins exist."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, web_url: str) -> None:
        self._uow = uow
        self._clock = clock
        self._web_url = web_url.rstrip("/")

    async def __call__(self, login: str, subject: str, body: str) -> None:
        """`subject` and `body` are the message's words in the resident's language; `body`
        holds ``{link}``."""
        normalized = normalize_login(login)
        now = self._clock.now()
        key = f"reset:login:{normalized}"
        async with self._uow(write=True) as uow:
            found = await uow.web_logins.by_login(normalized)
            recent = await uow.sign_in_attempts.failures_since(key, now - timedelta(hours=1))
            if found is None or recent >= RESETS_PER_HOUR:
                return
            await uow.sign_in_attempts.add(key, False, now)
            token = secrets.token_urlsafe(32)
            expires = now + RESET_LINK_LIFETIME
            await uow.one_time_tokens.add(
                hash_token(token), RESET_PURPOSE, found.resident_id, expires
            )
            link = f"{self._web_url}/password/reset/{token}"
            channel = "email" if "@" in normalized else "sms"
            message = OutgoingMessage(channel, normalized, subject, body.replace("{link}", link))
            await uow.outbox.add(message, now)
            await uow.commit()


class ResetPassword:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, passwords: PasswordHasher) -> None:
        self._uow = uow
        self._clock = clock
        self._passwords = passwords

    async def __call__(self, token: str, password: str) -> OpenedSession:
        check_password(password)
        hashed = self._passwords.hash(password)
        now = self._clock.now()
        async with self._uow(write=True) as uow:
            resident_id = await uow.one_time_tokens.use(hash_token(token), RESET_PURPOSE, now)
            if resident_id is None or not await uow.web_logins.of_resident(resident_id):
                raise DomainError.of("signin.reset_invalid")
            await uow.web_logins.set_password(resident_id, hashed)
            await uow.web_sessions.remove_all(RESIDENT, resident_id)
            actor = Actor.resident(resident_id, Channel.WEB)
            await uow.audit.record(
                actor, "resident.password_reset", f"resident:{resident_id}", {}, now
            )
            opened = await _open(uow, RESIDENT, resident_id, now)
            await uow.commit()
        return opened
