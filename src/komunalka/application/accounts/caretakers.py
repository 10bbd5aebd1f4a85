"""Caretakers: a resident invites a relative with a one-time code; once the relative accepts it
they send readings on the resident's behalf, until either of them ends it.

Who may call them: residents, for themselves (a caretaker acting for someone cannot invite or
end on that person's behalf). Guarantees: a code is shown once, stored only as its hash, works
once and only until it expires; wrong codes are limited per caretaker (a wrong code, used or
expired looks the same); starting and ending are audited and told to the other party in their
channel through the outbox; `ActFor` gives a caretaker the actor that acts on the resident's
behalf only while the caretaking is active, so every reading it sends is audited with the
caretaker as the actor and the resident in `on_behalf_of` (ADR 0024).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from komunalka.application.accounts.co_residents import AccountNotices
from komunalka.application.accounts.ports import (
    AccountNotice,
    Caretakers,
    CodeAttempts,
    InvitationCodes,
)
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.ports import AuditLog, Clock
from komunalka.application.shared.tokens import token_hash
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import mask_name

PURPOSE = "caretaker"
CODE_LIFETIME = timedelta(hours=48)
CODE_LENGTH = 10  # 50 bits: five wrong tries an hour never come near a live code
WRONG_CODES = 5
WRONG_CODES_WINDOW = timedelta(hours=1)
# Crockford's base32: no I, L, O, U, so a code read aloud or copied by hand survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(typed: str) -> str:
    """What the person typed, as the code was made: capitals, no spaces or dashes, O read as
    zero and I or L as one."""
    return re.sub(r"[\s\-]+", "", typed).upper().translate(_LOOKALIKES)


def shown_code(code: str) -> str:
    """The code in two halves, as people are shown it: ``ABCDE-FGHJK``."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def for_themselves(actor: Actor) -> int:
    """The resident acting for themselves; a caretaker acting for someone is refused."""
    if actor.kind is not ActorKind.RESIDENT or actor.id is None or actor.id != actor.resident_id:
        raise DomainError.of("link.resident_required")
    return actor.id


@dataclass(frozen=True, slots=True)
class Invitation:
    code: str  # as shown: ABCDE-FGHJK
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Person:
    """The other party of a caretaking, masked, since when."""

    resident_id: int
    masked_name: str
    since: datetime


@dataclass(frozen=True, slots=True)
class CareView:
    caretakers: list[Person]  # who may send for me
    cared_for: list[Person]  # for whom I may send


class InviteCaretaker:
    """Makes a one-time code the resident gives their caretaker; audited."""

    def __init__(
        self, transactions: Transactions, codes: InvitationCodes, audit: AuditLog, clock: Clock
    ) -> None:
        self._transactions = transactions
        self._codes = codes
        self._audit = audit
        self._clock = clock

    async def __call__(self, actor: Actor) -> Invitation:
        resident_id = for_themselves(actor)
        code, now = new_code(), self._clock.now()
        expires = now + CODE_LIFETIME
        async with self._transactions(write=True) as tx:
            await self._codes.add(token_hash(code), PURPOSE, resident_id, expires)
            details = {"expires_at": expires.isoformat()}
            subject = f"resident:{resident_id}"
            await self._audit.record(actor, "caretaker.invite", subject, details, now)
            await tx.commit()
        return Invitation(shown_code(code), expires)


class AcceptCaretaking:
    """The caretaker types the code: from now on they may send for the resident who made it."""

    def __init__(
        self,
        transactions: Transactions,
        codes: InvitationCodes,
        attempts: CodeAttempts,
        caretakers: Caretakers,
        notices: AccountNotices,
        audit: AuditLog,
        clock: Clock,
        wall: Clock | None = None,
    ) -> None:
        """`wall`: real time, which wrong codes are counted on (`clock` may be frozen)."""
        self._transactions = transactions
        self._codes = codes
        self._attempts = attempts
        self._caretakers = caretakers
        self._notices = notices
        self._audit = audit
        self._clock = clock
        self._wall = wall or clock

    async def __call__(self, actor: Actor, typed: str) -> Person:
        caretaker_id = for_themselves(actor)
        code = normalize_code(typed)
        if not code:
            raise DomainError.of("care.code_required")
        now, real = self._clock.now(), self._wall.now()
        key = f"care:{caretaker_id}"
        async with self._transactions(write=True) as tx:
            if await self._attempts.failures_since(key, real - WRONG_CODES_WINDOW) >= WRONG_CODES:
                minutes = int(WRONG_CODES_WINDOW.total_seconds() // 60)
                raise DomainError.of("care.too_many_attempts", minutes=minutes)
            resident_id = None
            if len(code) == CODE_LENGTH and set(code) <= set(ALPHABET):
                resident_id = await self._codes.use(token_hash(code), PURPOSE, now)
            if resident_id is None:
                await self._attempts.add(key, False, real)
                await tx.commit()  # the failure must count
                raise DomainError.of("care.code_invalid")
            if resident_id == caretaker_id:
                raise DomainError.of("care.own_code")  # rolled back: the code stays usable
            await self._caretakers.start(resident_id, caretaker_id, now)
            details = {"caretaker": caretaker_id}
            subject = f"resident:{resident_id}"
            await self._audit.record(actor, "caretaker.start", subject, details, now)
            who = await self._notices.masked_name(caretaker_id)
            await self._notices.tell([resident_id], AccountNotice("caretaker_started", who, now))
            name = await self._notices.masked_name(resident_id)
            await tx.commit()
        return Person(resident_id, name, now)


class EndCaretaking:
    """Either party ends a caretaking: the resident their caretaker (`other_id` the caretaker),
    or the caretaker their care (`other_id` the resident). At once: the caretaker's next
    reading for the resident is refused. Audited; the other party is told."""

    def __init__(
        self,
        transactions: Transactions,
        caretakers: Caretakers,
        notices: AccountNotices,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._caretakers = caretakers
        self._notices = notices
        self._audit = audit
        self._clock = clock

    async def __call__(self, actor: Actor, other_id: int) -> None:
        me = for_themselves(actor)
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            if await self._caretakers.end(me, other_id, now):
                resident_id, caretaker_id = me, other_id
            elif await self._caretakers.end(other_id, me, now):
                resident_id, caretaker_id = other_id, me
            else:
                raise DomainError.of("care.not_found")
            details = {"caretaker": caretaker_id}
            subject = f"resident:{resident_id}"
            await self._audit.record(actor, "caretaker.end", subject, details, now)
            who = await self._notices.masked_name(caretaker_id)
            await self._notices.tell([other_id], AccountNotice("caretaker_ended", who, now))
            await tx.commit()


class ShowCaretaking:
    """Who may send for the resident, and for whom the resident may send. Read-only."""

    def __init__(self, transactions: Transactions, caretakers: Caretakers) -> None:
        self._transactions = transactions
        self._caretakers = caretakers

    async def __call__(self, resident_id: int) -> CareView:
        async with self._transactions():
            mine = await self._caretakers.of_resident(resident_id)
            theirs = await self._caretakers.cared_for_by(resident_id)
        return CareView(
            [Person(c.caretaker_id, mask_name(c.caretaker_name), c.started_at) for c in mine],
            [Person(c.resident_id, mask_name(c.resident_name), c.started_at) for c in theirs],
        )


class ActFor:
    """The actor a caretaker acts through for a resident: the caretaker, on the resident's
    behalf. Refused (`care.not_found`) unless the caretaking is active now; a door asks for it
    on every request, so an ended caretaking stops the next one."""

    def __init__(self, transactions: Transactions, caretakers: Caretakers) -> None:
        self._transactions = transactions
        self._caretakers = caretakers

    async def __call__(self, actor: Actor, resident_id: int) -> Actor:
        caretaker_id = for_themselves(actor)
        async with self._transactions():
            active = await self._caretakers.is_active(resident_id, caretaker_id)
        if not active:
            raise DomainError.of("care.not_found")
        return Actor(ActorKind.RESIDENT, caretaker_id, actor.channel, resident_id)
