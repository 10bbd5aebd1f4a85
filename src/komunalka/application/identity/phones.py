"""A phone number linked to a resident with a one-time code sent to it (ADR 0026): the SMS
door then knows who writes. RequestPhoneCode, ConfirmPhone (the cabinet's), ResidentByPhone
(the SMS door's).

Who may call them: the cabinet for its signed-in resident; the SMS door for a number its
gateway vouches for. Guarantees: a code goes only to a well-formed number, one a minute at
most; it lives ten minutes and takes five wrong tries, after which it is gone; only its hash is
kept; the message with it is written to the outbox in the transaction that stores it (never a
code nobody was sent). A confirmed number is the resident's (moved from whoever had it: they
proved they hold the phone), audited; a number is one resident's.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.ports import AuditLog, Clock, Outbox, OutgoingMessage
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from komunalka.domain.sms import normalize_phone

CODE_LIFETIME = timedelta(minutes=10)
CODE_EVERY = timedelta(minutes=1)
CODE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class PhoneCode:
    resident_id: int
    phone: str
    code_hash: str
    created_at: datetime
    expires_at: datetime
    attempts_left: int


@dataclass(frozen=True, slots=True)
class PhoneOwner:
    resident_id: int
    language: str


class PhoneBook(Protocol):
    """Linked numbers and the codes that prove them."""

    async def code_of(self, resident_id: int) -> PhoneCode | None: ...

    async def save_code(self, code: PhoneCode) -> None:
        """The resident's one pending code (replacing any)."""
        ...

    async def drop_code(self, resident_id: int) -> None: ...

    async def link(self, phone: str, resident_id: int, at: datetime) -> None:
        """The number is the resident's now (whoever had it before), and theirs alone."""
        ...

    async def owner_of(self, phone: str) -> PhoneOwner | None:
        """Who linked the number, and the language they read (their profile's, else uk)."""
        ...

    async def phone_of(self, resident_id: int) -> str | None: ...


def code_hash(resident_id: int, phone: str, code: str) -> str:
    return hashlib.sha256(f"{resident_id}:{phone}:{code}".encode()).hexdigest()


class RequestPhoneCode:
    def __init__(
        self, transactions: Transactions, phones: PhoneBook, outbox: Outbox, clock: Clock
    ) -> None:
        self._transactions = transactions
        self._phones = phones
        self._outbox = outbox
        self._clock = clock

    async def __call__(
        self, resident_id: int, typed: str, compose: Callable[[str, str], OutgoingMessage]
    ) -> str:
        """Sends a code to the number; `compose(phone, code)` words the SMS. Returns the number
        as it will be kept. Raises ``phone.invalid`` or ``phone.code_too_soon``."""
        phone = normalize_phone(typed[:40])
        if phone is None:
            raise DomainError.of("phone.invalid")
        code = f"{secrets.randbelow(10**6):06d}"
        message = compose(phone, code)
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            pending = await self._phones.code_of(resident_id)
            if pending is not None and now - pending.created_at < CODE_EVERY:
                raise DomainError.of("phone.code_too_soon")
            await self._phones.save_code(
                PhoneCode(
                    resident_id,
                    phone,
                    code_hash(resident_id, phone, code),
                    now,
                    now + CODE_LIFETIME,
                    CODE_ATTEMPTS,
                )
            )
            await self._outbox.add(message, now)
            await tx.commit()
        return phone


class ConfirmPhone:
    def __init__(
        self, transactions: Transactions, phones: PhoneBook, audit: AuditLog, clock: Clock
    ) -> None:
        self._transactions = transactions
        self._phones = phones
        self._audit = audit
        self._clock = clock

    async def __call__(self, resident_id: int, code: str) -> str:
        """Links the number the code was sent to; returns it. Raises ``phone.no_code`` (none
        pending, expired or used up) or ``phone.wrong_code`` (with the attempts left)."""
        now = self._clock.now()
        typed = "".join(code.split())[:20]
        async with self._transactions(write=True) as tx:
            pending = await self._phones.code_of(resident_id)
            if pending is None or pending.expires_at <= now or pending.attempts_left <= 0:
                if pending is not None:
                    await self._phones.drop_code(resident_id)
                    await tx.commit()
                raise DomainError.of("phone.no_code")
            right = secrets.compare_digest(
                code_hash(resident_id, pending.phone, typed), pending.code_hash
            )
            if not right:
                left = pending.attempts_left - 1
                if left:
                    await self._phones.save_code(
                        PhoneCode(
                            resident_id,
                            pending.phone,
                            pending.code_hash,
                            pending.created_at,
                            pending.expires_at,
                            left,
                        )
                    )
                else:
                    await self._phones.drop_code(resident_id)
                await tx.commit()
                raise DomainError.of("phone.wrong_code", left=left)
            await self._phones.link(pending.phone, resident_id, now)
            await self._phones.drop_code(resident_id)
            actor = Actor(ActorKind.RESIDENT, resident_id, Channel.WEB, resident_id)
            details = {"phone": pending.phone[:-4] + "****"}
            await self._audit.record(actor, "phone.link", f"resident:{resident_id}", details, now)
            await tx.commit()
        return pending.phone


class ResidentByPhone:
    def __init__(self, transactions: Transactions, phones: PhoneBook) -> None:
        self._transactions = transactions
        self._phones = phones

    async def __call__(self, phone: str) -> PhoneOwner | None:
        normalized = normalize_phone(phone[:40])
        if normalized is None:
            return None
        async with self._transactions() as tx:
            owner = await self._phones.owner_of(normalized)
            await tx.commit()
        return owner

    async def phone_of(self, resident_id: int) -> str | None:
        async with self._transactions() as tx:
            phone = await self._phones.phone_of(resident_id)
            await tx.commit()
        return phone
