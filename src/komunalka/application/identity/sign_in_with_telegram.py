"""SignInWithTelegram: a resident signs in to the web cabinet as the Telegram user they are.

Who may call it: a web door, with a Telegram user it has verified itself (the Login Widget's
signature and age are the door's protocol). Guarantees: the first sign-in makes a resident with
that Telegram identity (the bot then knows them too), audited; later ones find them.
"""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.application.identity.ports import (
    Identity,
    IdentityRepository,
    ResidentRepository,
    WebSessionRepository,
)
from komunalka.application.identity.sign_in import OpenedSession, open_session
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.logins import RESIDENT
from komunalka.application.shared.ports import AuditLog, Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.services import Channel


@dataclass(frozen=True, slots=True)
class TelegramUser:
    """A Telegram user a door has verified: the user's id (digits) and display name."""

    user_id: str
    name: str = ""


class SignInWithTelegram:
    def __init__(
        self,
        transactions: Transactions,
        identities: IdentityRepository,
        residents: ResidentRepository,
        sessions: WebSessionRepository,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._identities = identities
        self._residents = residents
        self._sessions = sessions
        self._audit = audit
        self._clock = clock

    async def __call__(self, user: TelegramUser) -> OpenedSession:
        now = self._clock.now()
        channel = Channel.TELEGRAM.value
        async with self._transactions(write=True) as tx:
            identity = await self._identities.get(channel, user.user_id)
            if identity is None:
                name = user.name.strip()[:200] or user.user_id
                resident_id = await self._residents.add(name, now)
                identity = Identity(channel, user.user_id, resident_id, "uk", False)
                await self._identities.add(identity, now)
                actor = Actor.resident(resident_id, Channel.WEB)
                subject = f"resident:{resident_id}"
                await self._audit.record(actor, "resident.join", subject, {}, now)
            opened = await open_session(self._sessions, RESIDENT, identity.resident_id, now)
            await tx.commit()
        return opened
