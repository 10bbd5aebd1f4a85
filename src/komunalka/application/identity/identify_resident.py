"""IdentifyResident and UpdatePreferences: who writes from a messenger (or the terminal).

Who may call them: a messenger door, for the user the platform vouches for. A first message
makes a resident; later ones find them. The language belongs to the identity the resident set it
through; a new identity starts in the messenger's language when we speak it. The reminder switch
in a messenger means "remind me here": turned on, it makes that messenger the resident's reminder
channel with their consent (as choosing it in the cabinet does); turned off, it clears that
channel and cancels what is queued for the resident.
"""

from __future__ import annotations

from dataclasses import replace

from komunalka.application.identity.ports import (
    Identity,
    IdentityRepository,
    ResidentProfile,
    ResidentProfileRepository,
    ResidentRepository,
)
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.ports import AuditLog, Clock, PlannedReminders
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel

LANGUAGES = ("uk", "en")


def spoken(tag: str | None) -> str:
    """Ours of a messenger's language tag ("en", "en-GB", "uk"): its language when we speak it,
    Ukrainian otherwise."""
    primary = (tag or "").strip().replace("_", "-").partition("-")[0].lower()
    return primary if primary in LANGUAGES else LANGUAGES[0]


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

    async def __call__(
        self, channel: Channel, external_id: str, name: str, language: str | None = None
    ) -> Identity:
        """`language`: the messenger's tag for the user; it sets the language of a new identity
        only, so a language chosen in the settings stays whatever the messenger says later."""
        if not external_id or len(external_id) > 64:
            raise DomainError.of("identity.bad_user")
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            found = await self._identities.get(channel.value, external_id)
            if found is not None:
                return found
            resident_id = await self._residents.add(name.strip()[:200] or external_id, now)
            identity = Identity(channel.value, external_id, resident_id, spoken(language), False)
            await self._identities.add(identity, now)
            actor = Actor(ActorKind.RESIDENT, resident_id, channel, resident_id)
            await self._audit.record(actor, "resident.join", f"resident:{resident_id}", {}, now)
            await tx.commit()
        return identity


class UpdatePreferences:
    def __init__(
        self,
        transactions: Transactions,
        identities: IdentityRepository,
        profiles: ResidentProfileRepository,
        reminders: PlannedReminders,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._identities = identities
        self._profiles = profiles
        self._reminders = reminders
        self._clock = clock

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
            if reminders is not None and channel in MESSENGERS:
                await self._switch(changed, reminders)
            await tx.commit()
        return changed

    async def _switch(self, identity: Identity, on: bool) -> None:
        now = self._clock.now()
        resident, channel = identity.resident_id, identity.channel
        old = await self._profiles.get(resident) or ResidentProfile(resident, identity.language)
        if on:
            kept = old.reminder_channel == channel and old.reminder_consent_at is not None
            consent = old.reminder_consent_at if kept else now
            await self._profiles.save(
                replace(old, reminder_channel=channel, reminder_consent_at=consent)
            )
        elif old.reminder_channel == channel:
            await self._profiles.save(
                replace(old, reminder_channel="none", reminder_consent_at=None)
            )
            await self._reminders.cancel(resident, now)


MESSENGERS = (Channel.TELEGRAM, Channel.VIBER)
