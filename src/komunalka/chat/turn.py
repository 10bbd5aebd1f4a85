"""One turn of the conversation: what a flow is given to answer one event.

The turn knows who speaks (their identity, in their language, acting as themselves), what the
chat may call, and where the dialog stands; a flow reads the state and leaves the next one in
its place. Flows import this module and the conversation imports the flows, never back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from komunalka.application.identity.ports import Identity
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import ChartRenderer
from komunalka.chat.model import Button, Contacts, Reply
from komunalka.chat.state import DialogState, Menu
from komunalka.chat.use_cases import ChatUseCases
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from komunalka.formats import month, reading
from komunalka.i18n import translate

MENU = ("send", "link", "meters", "settings", "help")


@dataclass(frozen=True, slots=True)
class ChatSetting:
    """What every turn of one messenger's conversation shares."""

    uses: ChatUseCases
    channel: Channel
    contacts: Contacts
    charts: ChartRenderer | None = None


class Turn:
    def __init__(
        self,
        setting: ChatSetting,
        identity: Identity,
        state: DialogState,
        *,
        lost: bool = False,
        delivery: str | None = None,
    ) -> None:
        """`lost`: the stored state could not be read, so the turn starts at the menu;
        `delivery`: the messenger's id of the update this turn answers."""
        self.uses = setting.uses
        self.setting = setting
        self.identity = identity
        self.state = state
        self.lost = lost
        self.actor = Actor.resident(identity.resident_id, setting.channel)
        self.delivery = delivery
        self._keys = 0

    def submission_key(self) -> str:
        """The client key of the turn's next submission. Derived from the update's id, so a
        turn carried out again after a crash replays what the first attempt stored instead of
        storing it twice; random without one (the terminal)."""
        self._keys += 1
        if self.delivery is None:
            return f"chat-{secrets.token_hex(8)}"
        return f"chat-{self.delivery}-{self._keys}"

    @property
    def lang(self) -> str:
        return self.identity.language

    def say(self, msgid: str, **params: object) -> str:
        return translate(msgid, self.lang, params)

    def reading(self, value: Decimal, decimals: int) -> str:
        """A meter's value as the resident's language writes numbers (`formats.reading`)."""
        return reading(value, decimals, self.lang)

    def month(self, period: object) -> str:
        """A billing period as its month and year in the resident's language."""
        return month(str(period), self.lang)

    def zone(self, register: str) -> str:
        """A meter's zone (register code) in the resident's language."""
        return self.say(f"chat.zone_{register}")

    def button(self, action: str) -> Button:
        return Button(self.say(f"chat.btn_{action.split(':')[0]}"), action)

    def menu(self, text: str | None = None) -> Reply:
        self.state = Menu()
        return Reply(text or self.say("chat.menu"), tuple(self.button(a) for a in MENU))

    def not_understood(self) -> Reply:
        """The menu, for an event the step has no use for; after a state that could not be read,
        with an apology instead: the resident was in the middle of something."""
        return self.menu(self.say("chat.start_over" if self.lost else "chat.not_understood"))

    def reply_error(self, exc: DomainError) -> Reply:
        return Reply("\n".join(self.say(v.code, **v.params) for v in exc.violations))
