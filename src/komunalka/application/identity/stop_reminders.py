"""StopReminders: the one-click way out of reminders, from the link every reminder e-mail
carries (and its List-Unsubscribe header, RFC 8058).

Who may call it: anyone holding the link (the web door; no sign-in: the signed token says whose
reminders they are). Guarantees: a token not signed by us for this purpose changes nothing; a
good one turns the resident's reminders off (no channel, no consent, the bots' switches off),
cancels what is queued, and is audited; using it twice is harmless.
"""

from __future__ import annotations

from dataclasses import replace

from komunalka.application.identity.ports import (
    IdentityRepository,
    ResidentProfile,
    ResidentProfileRepository,
)
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.ports import AuditLog, Clock, LinkSigner, PlannedReminders
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.services import Channel

PURPOSE = "reminders.off"


class StopReminders:
    def __init__(
        self,
        transactions: Transactions,
        profiles: ResidentProfileRepository,
        identities: IdentityRepository,
        reminders: PlannedReminders,
        signer: LinkSigner,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._profiles = profiles
        self._identities = identities
        self._reminders = reminders
        self._signer = signer
        self._audit = audit
        self._clock = clock

    def token_for(self, resident_id: int) -> str:
        return self._signer.sign(PURPOSE, resident_id)

    async def __call__(self, token: str) -> bool:
        """True when the token was good (the reminders are off now)."""
        resident = self._signer.verify(PURPOSE, token)
        if resident is None:
            return False
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            profile = await self._profiles.get(resident) or ResidentProfile(resident)
            await self._profiles.save(
                replace(profile, reminder_channel="none", reminder_consent_at=None)
            )
            for identity in await self._profiles.identities_of(resident):
                if identity.reminders:
                    await self._identities.update(replace(identity, reminders=False))
            cancelled = await self._reminders.cancel(resident, now)
            actor = Actor(ActorKind.RESIDENT, resident, Channel.WEB)
            details = {"via": "link", "cancelled": cancelled}
            await self._audit.record(actor, "reminders.off", f"resident:{resident}", details, now)
            await tx.commit()
        return True
