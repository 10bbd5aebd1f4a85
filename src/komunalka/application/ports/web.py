"""The ports of the web doors' sign-in: logins, staff, sessions, attempts, one-time links,
the outbox and its senders, residents' profiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from komunalka.application.ports.core import (
    Identity,
)
from komunalka.domain.staff import StaffMember


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, hashed: str, password: str) -> bool:
        """True when the password matches; never raises for a wrong one."""
        ...


@dataclass(frozen=True, slots=True)
class WebLogin:
    id: int
    resident_id: int
    login: str
    password_hash: str


class WebLoginRepository(Protocol):
    async def by_login(self, login: str) -> WebLogin | None: ...
    async def of_resident(self, resident_id: int) -> list[WebLogin]: ...
    async def add(self, resident_id: int, login: str, password_hash: str, at: datetime) -> int:
        """The new login's id; raises `Conflict` when the login is taken."""
        ...

    async def set_password(self, resident_id: int, password_hash: str) -> None: ...


class Conflict(Exception):
    """A unique value (a login) is taken already."""


@dataclass(frozen=True, slots=True)
class StaffRecord:
    member: StaffMember
    password_hash: str


class StaffRepository(Protocol):
    async def by_login(self, login: str) -> StaffRecord | None: ...
    async def get(self, staff_id: int) -> StaffRecord | None: ...
    async def all(self) -> list[StaffMember]: ...
    async def add(self, member: StaffMember, password_hash: str, at: datetime) -> int:
        """The new member's id; raises `Conflict` when the login is taken."""
        ...

    async def update(self, member: StaffMember, password_hash: str | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class WebSession:
    token_hash: str
    # "resident" or "staff"
    kind: str
    subject_id: int
    expires_at: datetime


class WebSessionRepository(Protocol):
    async def add(self, session: WebSession, at: datetime) -> None: ...
    async def live(self, token_hash: str, now: datetime) -> WebSession | None: ...
    async def remove(self, token_hash: str) -> None: ...
    async def remove_all(self, kind: str, subject_id: int) -> None: ...
    async def forget_before(self, before: datetime) -> None: ...


class SignInAttemptRepository(Protocol):
    async def failures_since(self, key: str, since: datetime) -> int: ...
    async def add(self, key: str, success: bool, at: datetime) -> None: ...


class OneTimeTokenRepository(Protocol):
    async def add(
        self, token_hash: str, purpose: str, subject_id: int, expires_at: datetime
    ) -> None: ...

    async def use(self, token_hash: str, purpose: str, now: datetime) -> int | None:
        """Marks a live token used and returns its subject; None when unknown, used or
        expired. Two concurrent uses: one wins."""
        ...


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    channel: str
    recipient: str
    subject: str
    body: str


class Outbox(Protocol):
    """Messages to people, sent after the transaction that wrote them commits."""

    async def add(self, message: OutgoingMessage, at: datetime) -> None: ...
    async def unsent(self, limit: int) -> list[tuple[int, OutgoingMessage]]: ...
    async def mark_sent(self, message_id: int, at: datetime) -> None: ...


class MessageSender(Protocol):
    """Delivers one message (an e-mail, an SMS); raises when it could not."""

    async def send(self, message: OutgoingMessage) -> None: ...


@dataclass(frozen=True, slots=True)
class ResidentProfile:
    resident_id: int
    language: str = "uk"
    # "none", "email", "sms", "telegram", "viber"
    reminder_channel: str = "none"
    reminder_consent_at: datetime | None = None
    contact: str = ""


class ResidentProfileRepository(Protocol):
    async def get(self, resident_id: int) -> ResidentProfile | None: ...
    async def save(self, profile: ResidentProfile) -> None: ...
    async def identities_of(self, resident_id: int) -> list[Identity]:
        """The resident's messenger identities (linked messengers)."""
        ...
