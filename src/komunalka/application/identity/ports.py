"""The ports of identity: residents and their identities in the messengers, API tokens, web
logins, sessions, sign-in attempts, one-time tokens, residents' profiles, and the door's
wording of a password-reset message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from komunalka.application.shared.ports import OutgoingMessage


class ResidentRepository(Protocol):
    async def add(self, name: str, at: datetime) -> int: ...
    async def exists(self, resident_id: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class Identity:
    channel: str
    external_id: str
    resident_id: int
    language: str
    reminders: bool


class IdentityRepository(Protocol):
    async def get(self, channel: str, external_id: str) -> Identity | None: ...
    async def add(self, identity: Identity, at: datetime) -> None: ...
    async def update(self, identity: Identity) -> None: ...
    async def reassign(self, channel: str, external_id: str, resident_id: int) -> None:
        """The identity now belongs to another resident."""
        ...


class ConversationStates(Protocol):
    """Where each messenger conversation stands (the chat's dialog store); identity only ever
    starts one afresh."""

    async def save(self, channel: str, external_id: str, state: dict[str, Any]) -> None: ...


class TokenRepository(Protocol):
    async def add(self, resident_id: int, token_hash: str, label: str, at: datetime) -> None: ...
    async def resident_for(self, token_hash: str) -> int | None: ...

    async def revoke(self, token_hash: str, at: datetime) -> int | None:
        """Revokes a live token; the resident it belonged to, or None when there was none."""
        ...


class TokenRevocations(Protocol):
    """How many bearer tokens have been revoked, as every process sees it: a process trusts the
    tokens it remembers only while this number is the one it read when it remembered them."""

    async def current(self) -> int | None:
        """The count now; None when it cannot be read (then nothing remembered is trusted)."""
        ...

    async def bump(self) -> None:
        """One more revocation (after it committed)."""
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
    async def succeeded_since(self, key: str, since: datetime) -> bool: ...
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


@dataclass(frozen=True, slots=True)
class ResetTicket:
    """A reset token and where to send it: `channel` is "email" or "sms", `recipient` the
    login. The token is shown to the resident only, through that channel."""

    token: str
    channel: str
    recipient: str


class ResetMessageComposer(Protocol):
    """Words a reset ticket as the message to its recipient: the door knows the page the link
    opens and the reader's language, the core only the token. Pure: no I/O, no state."""

    def __call__(self, ticket: ResetTicket) -> OutgoingMessage: ...
