"""AttachTelegram: a signed-in web resident adds their Telegram account (through Telegram's
Login Widget), so the bot and the cabinet are one resident.

Who may call it: the resident cabinet, for the signed-in resident, with the widget's fields
(checked like a Telegram sign-in: signed with the bot's token, less than a day old). Guarantees:
the Telegram user becomes this resident's identity; when the bot already knew them as another
resident, that resident's account links come along (each link keeps being proven: it was proven
by the same Telegram user), nothing else of theirs changes, and the move is audited. The bot's
conversation with that user starts afresh (its state remembers who the user was).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from komunalka.application.identity.sign_in import verified_telegram_user
from komunalka.application.ports import Clock, DialogStateStore, Identity, UnitOfWorkFactory
from komunalka.application.shared.actors import Actor
from komunalka.domain.services import Channel


@dataclass(frozen=True, slots=True)
class Attached:
    identity: Identity
    # accounts that came along from the resident the bot knew
    accounts_moved: int = 0


class AttachTelegram:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        bot_token: str | None,
        dialogs: DialogStateStore | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._bot_token = bot_token
        self._dialogs = dialogs

    @property
    def available(self) -> bool:
        return bool(self._bot_token)

    async def __call__(self, resident_id: int, fields: Mapping[str, str]) -> Attached:
        now = self._clock.now()
        user_id, _ = verified_telegram_user(fields, self._bot_token, now)
        channel = Channel.TELEGRAM.value
        moved = 0
        async with self._uow(write=True) as uow:
            found = await uow.identities.get(channel, user_id)
            previous = found.resident_id if found is not None else None
            if found is None:
                profile = await uow.profiles.get(resident_id)
                language = profile.language if profile is not None else "uk"
                identity = Identity(channel, user_id, resident_id, language, False)
                await uow.identities.add(identity, now)
            elif found.resident_id != resident_id:
                for account in await uow.accounts.linked_to(found.resident_id):
                    if await uow.accounts.link(resident_id, account.id, "telegram", now):
                        moved += 1
                await uow.identities.reassign(channel, user_id, resident_id)
                identity = Identity(channel, user_id, resident_id, found.language, found.reminders)
            else:
                identity = found
            details = {"channel": channel, "from_resident": previous, "accounts": moved}
            actor = Actor.resident(resident_id, Channel.WEB)
            await uow.audit.record(
                actor, "resident.attach_messenger", f"resident:{resident_id}", details, now
            )
            await uow.commit()
        if previous is not None and previous != resident_id and self._dialogs is not None:
            # after the commit: the bot's next turn finds the identity anew
            await self._dialogs.save(channel, user_id, {})
        return Attached(identity, moved)
