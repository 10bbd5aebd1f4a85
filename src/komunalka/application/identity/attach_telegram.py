"""AttachTelegram: a signed-in web resident adds their Telegram account (through Telegram's
Login Widget), so the bot and the cabinet are one resident.

Who may call it: the resident cabinet, for the signed-in resident, with the Telegram user it
verified (the Login Widget's signature and age, as for a Telegram sign-in). Guarantees:
the Telegram user becomes this resident's identity; when the bot already knew them as another
resident, that resident's account links come along (each link keeps being proven: it was proven
by the same Telegram user), nothing else of theirs changes, and the move is audited. The bot's
conversation with that user starts afresh (its state remembers who the user was).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from komunalka.application.identity.ports import (
    ConversationStates,
    Identity,
    IdentityRepository,
    ResidentProfileRepository,
)
from komunalka.application.identity.sign_in_with_telegram import TelegramUser
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import AccountRepository, AuditLog, Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.services import Channel


@dataclass(frozen=True, slots=True)
class Attached:
    identity: Identity
    # accounts that came along from the resident the bot knew
    accounts_moved: int = 0


class AttachTelegram:
    def __init__(
        self,
        transactions: Transactions,
        identities: IdentityRepository,
        profiles: ResidentProfileRepository,
        accounts: AccountRepository,
        audit: AuditLog,
        clock: Clock,
        conversations: ConversationStates | None = None,
    ) -> None:
        self._transactions = transactions
        self._identities = identities
        self._profiles = profiles
        self._accounts = accounts
        self._audit = audit
        self._clock = clock
        self._conversations = conversations

    async def __call__(self, resident_id: int, user: TelegramUser) -> Attached:
        now = self._clock.now()
        channel = Channel.TELEGRAM.value
        async with self._transactions(write=True) as tx:
            found = await self._identities.get(channel, user.user_id)
            previous = found.resident_id if found is not None else None
            identity, moved = await self._attach(resident_id, user.user_id, found, now)
            details = {"channel": channel, "from_resident": previous, "accounts": moved}
            actor = Actor.resident(resident_id, Channel.WEB)
            subject = f"resident:{resident_id}"
            await self._audit.record(actor, "resident.attach_messenger", subject, details, now)
            await tx.commit()
        moved_over = previous is not None and previous != resident_id
        if moved_over and self._conversations is not None:
            # after the commit: the bot's next turn finds the identity anew
            await self._conversations.save(channel, user.user_id, {})
        return Attached(identity, moved)

    async def _attach(
        self, resident_id: int, user_id: str, found: Identity | None, now: datetime
    ) -> tuple[Identity, int]:
        """The identity, now this resident's, and how many account links came along."""
        channel = Channel.TELEGRAM.value
        if found is None:
            profile = await self._profiles.get(resident_id)
            language = profile.language if profile is not None else "uk"
            identity = Identity(channel, user_id, resident_id, language, False)
            await self._identities.add(identity, now)
            return identity, 0
        if found.resident_id == resident_id:
            return found, 0
        moved = 0
        for account in await self._accounts.linked_to(found.resident_id):
            if await self._accounts.link(resident_id, account.id, "telegram", now):
                moved += 1
        await self._identities.reassign(channel, user_id, resident_id)
        return Identity(channel, user_id, resident_id, found.language, found.reminders), moved
