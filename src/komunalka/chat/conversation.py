"""The dialog: a small state machine over the use cases, one step per event.

State is a JSON-able dict kept behind the DialogStateStore port: ``step`` says what the next
text means (``menu``, ``link_number``, ``link_proof``, ``send``, ``confirm``); ``identity``
remembers who the user is. Every reply is built from the catalogs in the identity's language;
every path ends with buttons that apply.
"""

from __future__ import annotations

from typing import Any

from komunalka.application.identity.identify_resident import LANGUAGES
from komunalka.application.ports import ChartRenderer, DialogStateStore, Identity
from komunalka.application.readings.list_my_meters import PeriodStatus
from komunalka.application.shared.actors import Actor
from komunalka.chat.correcting import CorrectFlow
from komunalka.chat.history import history_chart, history_text
from komunalka.chat.linking import LinkFlow
from komunalka.chat.model import Button, Contacts, Event, EventKind, Reply
from komunalka.chat.sending import SendFlow
from komunalka.chat.use_cases import ChatUseCases
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from komunalka.domain.values import format_value
from komunalka.i18n import translate

State = dict[str, Any]
MENU = ("send", "link", "meters", "settings", "help")
# Kept beside the dialog's state: who the user is (resident, language, reminders), so a step
# needs no lookup. UpdatePreferences, the only way these change, runs inside a turn, which
# remembers what it returned.
IDENTITY = "identity"


class Conversation:
    def __init__(
        self,
        use_cases: ChatUseCases,
        store: DialogStateStore,
        channel: Channel,
        contacts: Contacts,
        charts: ChartRenderer | None = None,
    ) -> None:
        self._uc = use_cases
        self._store = store
        self._channel = channel
        self._contacts = contacts
        self._charts = charts

    async def handle(
        self, user: str, name: str, event: Event, delivery: str | None = None
    ) -> list[Reply]:
        """The replies to one event from one user; the dialog's state is saved after it.

        `delivery` is the messenger's id of the update that carried the event: a delivery seen
        before has no effect and no replies (webhooks may deliver an update twice, to any app
        process). It is recorded before anything is acted on, so a crash half-way loses the
        update rather than acting on it twice."""
        channel = self._channel.value
        if delivery is None:
            stored = await self._store.load(channel, user) or {}
        else:
            first, found = await self._store.receive(channel, user, delivery)
            if not first:
                return []
            stored = found or {}
        identity = _identity(self._channel, user, stored.pop(IDENTITY, None))
        if identity is None:
            identity = await self._uc.identify_resident(self._channel, user, name)
        state: State = stored or {"step": "menu"}
        turn = _Turn(self, identity, state)
        try:
            replies = await turn.on(event)
        except DomainError as exc:  # a rule said no: say why, keep the state, offer the menu
            replies = [turn.reply_error(exc), turn.menu()]
        state[IDENTITY] = _remembered(turn.identity)
        await self._store.save(channel, user, state)
        return replies


def _remembered(identity: Identity) -> dict[str, Any]:
    return {
        "resident": identity.resident_id,
        "language": identity.language,
        "reminders": identity.reminders,
    }


def _identity(channel: Channel, user: str, kept: Any) -> Identity | None:
    """The identity the dialog's state remembers, when it is whole."""
    if not isinstance(kept, dict):
        return None
    resident, language, reminders = (kept.get(k) for k in ("resident", "language", "reminders"))
    if type(resident) is not int or language not in LANGUAGES or type(reminders) is not bool:
        return None
    return Identity(channel.value, user, resident, language, reminders)


class _Turn:
    def __init__(self, conversation: Conversation, identity: Identity, state: State) -> None:
        self.c = conversation
        self.identity = identity
        self.state = state
        self.lang = identity.language
        self.actor = Actor.resident(identity.resident_id, conversation._channel)

    def say(self, msgid: str, **params: object) -> str:
        return translate(msgid, self.lang, params)

    def button(self, action: str) -> Button:
        return Button(self.say(f"chat.btn_{action.split(':')[0]}"), action)

    def menu(self, text: str | None = None) -> Reply:
        self.state.clear()
        self.state["step"] = "menu"
        return Reply(text or self.say("chat.menu"), tuple(self.button(a) for a in MENU))

    def reply_error(self, exc: DomainError) -> Reply:
        return Reply("\n".join(self.say(v.code, **v.params) for v in exc.violations))

    async def on(self, event: Event) -> list[Reply]:
        if event.kind is EventKind.START:
            return await self.on_start(event.value.strip())
        if event.kind is EventKind.BUTTON:
            return await self.on_button(event.value)
        return await self.on_text(event.value)

    async def on_start(self, payload: str) -> list[Reply]:
        greeting = Reply(self.say("chat.greeting"))
        if payload.isdigit():  # a deep link from a bill's QR code carries the account number
            return [greeting, *await LinkFlow(self).number(payload)]
        return [greeting, self.menu()]

    async def on_button(self, action: str) -> list[Reply]:
        if action == "menu":
            return [self.menu()]
        if action == "help":
            contacts = self.c._contacts
            return [self.menu(self.say("chat.help", web=contacts.web_url, phones=contacts.phones))]
        if action == "link":
            return LinkFlow(self).ask_number()
        if action.startswith("sup:"):
            return LinkFlow(self).supplier(action)
        if action == "linkyes":
            return await LinkFlow(self).confirm()
        if action == "meters":
            return await self.my_meters()
        if action == "history":
            return await self.history()
        if action == "correct":
            return await CorrectFlow(self).choices()
        if action.startswith("fix:"):
            return CorrectFlow(self).pick(action)
        if action == "fixconfirm":
            return await CorrectFlow(self).confirmed()
        if action == "unlink" or action.startswith("unlink:"):
            return await self.unlink(action)
        if action == "settings":
            return [self.settings()]
        if action.startswith("lang:") or action == "reminders":
            return await self.change_settings(action)
        if action in SendFlow.ACTIONS or action == "send":
            return await SendFlow(self).on_button(action)
        return [self.menu(self.say("chat.not_understood"))]

    async def on_text(self, text: str) -> list[Reply]:
        step = self.state.get("step")
        if step == "link_number":
            return await LinkFlow(self).number(text)
        if step == "link_proof":
            return await LinkFlow(self).proof(text)
        if step in ("send", "confirm"):
            return await SendFlow(self).on_text(text)
        if step == "correct":
            return await CorrectFlow(self).value(text)
        return [self.menu(self.say("chat.not_understood"))]

    async def my_meters(self) -> list[Reply]:
        meters = await self.c._uc.list_my_meters(self.identity.resident_id)
        if not meters:
            return [self.menu(self.say("chat.no_accounts"))]
        lines = [self.say("chat.meters_title")]
        for m in meters:
            last = max(m.last.values(), key=lambda r: r.period, default=None)
            lines.append(
                self.say(
                    "chat.meter_line",
                    service=self.say(f"service.{m.meter.service.value}"),
                    serial=m.meter.serial,
                    supplier=m.supplier.name,
                    status=self.say(f"chat.status_{m.status.value}", opens=m.opens_on.isoformat()),
                    last=f"{format_value(last.value, m.meter.decimals)} ({last.period})"
                    if last
                    else "—",
                )
            )
        self.state["step"] = "menu"
        fixable = any(m.status is PeriodStatus.SENT for m in meters)
        extra = (self.button("correct"),) if fixable else ()
        buttons = (self.button("history"), *extra, self.button("unlink"), self.button("menu"))
        return [Reply("\n".join(lines), buttons)]

    async def history(self) -> list[Reply]:
        """The last 12 readings of every meter, with use and its cost at the tariff."""
        meters = await self.c._uc.list_my_meters(self.identity.resident_id)
        replies = []
        for m in meters:
            found = await self.c._uc.reading_history(self.actor, m.meter.id, 12)
            picture = await history_chart(found, self.say, self.c._charts)
            replies.append(Reply(history_text(found, self.say), picture=picture))
        return [*replies, self.menu()] if replies else [self.menu(self.say("chat.no_accounts"))]

    async def unlink(self, action: str) -> list[Reply]:
        meters = await self.c._uc.list_my_meters(self.identity.resident_id)
        accounts = {m.account.id: f"{m.supplier.name} {m.account.number}" for m in meters}
        if action == "unlink":
            buttons = tuple(Button(label, f"unlink:{aid}") for aid, label in accounts.items())
            return [Reply(self.say("chat.unlink_which"), (*buttons, self.button("menu")))]
        account_id = action.split(":", 1)[1]
        if not account_id.isdigit() or int(account_id) not in accounts:
            return [self.menu(self.say("chat.not_understood"))]
        await self.c._uc.unlink_account(self.actor, int(account_id))
        return [self.menu(self.say("chat.unlinked", account=accounts[int(account_id)]))]

    def settings(self) -> Reply:
        self.state["step"] = "menu"
        text = self.say(
            "chat.settings",
            language=self.say(f"chat.language_{self.lang}"),
            reminders=self.say("chat.on" if self.identity.reminders else "chat.off"),
        )
        buttons = (
            Button("Українська", "lang:uk"),
            Button("English", "lang:en"),
            self.button("reminders"),
            self.button("menu"),
        )
        return Reply(text, buttons)

    async def change_settings(self, action: str) -> list[Reply]:
        if action == "reminders":
            changed = await self.c._uc.update_preferences(
                self.c._channel, self.identity.external_id, reminders=not self.identity.reminders
            )
        else:
            changed = await self.c._uc.update_preferences(
                self.c._channel, self.identity.external_id, language=action.split(":", 1)[1]
            )
        self.identity = changed
        self.lang = changed.language
        return [self.settings()]
