"""IdentifyResident and UpdatePreferences: who writes from a messenger (or the terminal).

Who may call them: a messenger door, for the user the platform vouches for. A first message
makes a resident; later ones find them. Preferences (language, reminders) belong to the identity
the resident set them through.
"""

from __future__ import annotations

from dataclasses import replace

from komunalka.application.identity.ports import (
    Identity,
    IdentityRepository,
    ResidentRepository,
)
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.ports import AuditLog, Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel

LANGUAGES = ("uk", "en")


class IdentifyResident:
    def __init__(
        self,
        transactions: Transactions,
        identities: IdentityRepository,
        residents: ResidentRepository,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._identities = identities
        self._residents = residents
        self._audit = audit
        self._clock = clock

    async def __call__(self, channel: Channel, external_id: str, name: str) -> Identity:
        if not external_id or len(external_id) > 64:
            raise DomainError.of("identity.bad_user")
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            found = await self._identities.get(channel.value, external_id)
            if found is not None:
                return found
            resident_id = await self._residents.add(name.strip()[:200] or external_id, now)
            identity = Identity(channel.value, external_id, resident_id, "uk", False)
            await self._identities.add(identity, now)
            actor = Actor(ActorKind.RESIDENT, resident_id, channel, resident_id)
            await self._audit.record(actor, "resident.join", f"resident:{resident_id}", {}, now)
            await tx.commit()
        return identity


class UpdatePreferences:
    def __init__(self, transactions: Transactions, identities: IdentityRepository) -> None:
        self._transactions = transactions
        self._identities = identities

    async def __call__(
        self,
        channel: Channel,
        external_id: str,
        language: str | None = None,
        reminders: bool | None = None,
    ) -> Identity:
        if language is not None and language not in LANGUAGES:
            raise DomainError.of("identity.bad_language", language=language)
        async with self._transactions(write=True) as tx:
            found = await self._identities.get(channel.value, external_id)
            if found is None:
                raise DomainError.of("identity.not_found")
            changed = replace(
                found,
                language=language if language is not None else found.language,
                reminders=reminders if reminders is not None else found.reminders,
            )
            await self._identities.update(changed)
            await tx.commit()
        return changed
