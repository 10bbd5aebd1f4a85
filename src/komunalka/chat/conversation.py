"""The dialog: a small state machine over the chat's use cases, one turn per event.

A turn loads where the user's dialog stands (a typed state, see `state`) with who the user is,
routes the event to the flow it belongs to, and saves the state the flow left. Every reply is
built from the catalogs in the identity's language; every path ends with buttons that apply.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from komunalka.application.shared.ports import ACTED_ON, Arrival, ChartRenderer, DialogStateStore
from komunalka.chat import (
    caring,
    correcting,
    linking,
    meters,
    preferences,
    sending,
    sharing,
    steps,
)
from komunalka.chat.model import Contacts, Event, EventKind, Reply, TurnUnderWay
from komunalka.chat.state import (
    Correcting,
    LinkNumber,
    LinkProof,
    Menu,
    Unreadable,
    dump,
    load,
    recalled,
)
from komunalka.chat.turn import ChatSetting, Turn
from komunalka.chat.use_cases import ChatUseCases
from komunalka.domain.errors import DomainError
from komunalka.domain.ids import is_ascii_number
from komunalka.domain.services import Channel

log = logging.getLogger(__name__)
# How a door hands a turn's replies over before the turn is recorded as done.
Send = Callable[[list[Reply]], Awaitable[None]]


class Conversation:
    def __init__(
        self,
        use_cases: ChatUseCases,
        store: DialogStateStore,
        channel: Channel,
        contacts: Contacts,
        charts: ChartRenderer | None = None,
    ) -> None:
        self._setting = ChatSetting(use_cases, channel, contacts, charts)
        self._store = store

    async def handle(
        self,
        user: str,
        name: str,
        event: Event,
        delivery: str | None = None,
        send: Send | None = None,
    ) -> list[Reply]:
        """The replies to one event from one user; the dialog's state is saved after it.

        `delivery` is the messenger's id of the update that carried the event (webhooks may
        deliver an update twice, to any process). Its turn is recorded as under way before
        anything is acted on, and as done with the state's save; `send` (when given) hands the
        replies over before that. A delivery whose turn finished has no effect and no replies;
        one under way elsewhere raises `TurnUnderWay`; one whose turn was cut off (its lease ran
        out) is carried out again from the state before it, with the same submission keys, so
        what it stored is not stored twice (docs/adr/0015-messenger-turns-once.md)."""
        channel = self._setting.channel
        if delivery is None:
            stored = await self._store.load(channel.value, user)
        else:
            arrival, stored, unreachable = await self._store.receive(channel.value, user, delivery)
            if arrival is Arrival.UNDER_WAY:
                raise TurnUnderWay(delivery)
            if arrival not in ACTED_ON:
                return []
            if unreachable is not False:  # a mark seen with the state, or a store that can't tell
                # They wrote: a bot they once blocked may remind them again (changes nothing else).
                await self._setting.uses.reachable_again(channel.value, user)
        turn = await self._turn(user, name, stored, delivery, event.language)
        try:
            replies = await on(turn, event)
        except DomainError as exc:  # a rule said no: say why and offer the menu
            replies = [turn.reply_error(exc), turn.menu()]
        if send is not None:
            await send(replies)
        await self._store.save(channel.value, user, dump(turn.state, turn.identity), delivery)
        return replies

    async def _turn(
        self, user: str, name: str, stored: object, delivery: str | None, language: str | None
    ) -> Turn:
        """The turn at the stored state; a state that cannot be read starts at the menu.
        `language`: the messenger's, for a resident who writes for the first time."""
        setting = self._setting
        identity = recalled(setting.channel.value, user, stored)
        if identity is None:
            identity = await setting.uses.identify_resident(setting.channel, user, name, language)
        if stored is None:
            return Turn(setting, identity, Menu(), delivery=delivery)
        try:
            return Turn(setting, identity, load(stored), delivery=delivery)
        except Unreadable as exc:
            log.warning(
                "chat: unreadable %s dialog state (%s): starting over", setting.channel, exc
            )
            return Turn(setting, identity, Menu(), lost=True, delivery=delivery)


async def on(t: Turn, event: Event) -> list[Reply]:
    if event.kind is EventKind.START:
        return await on_start(t, event.value.strip())
    if event.kind is EventKind.BUTTON:
        return await on_button(t, event.value)
    if event.kind is EventKind.PHOTO:
        return await sending.on_photo(t, event.photo)
    return await on_text(t, event.value)


async def on_start(t: Turn, payload: str) -> list[Reply]:
    greeting = Reply(t.say("chat.greeting"))
    if is_ascii_number(payload):  # a deep link from a bill's QR code carries the account number
        return [greeting, *await linking.number(t, payload)]
    return [greeting, t.menu()]


async def on_button(t: Turn, action: str) -> list[Reply]:
    head, colon, _ = action.partition(":")
    kind = head if colon else ""  # the kind of a button that carries a value: `sup:kte`
    if action == "menu":
        return [t.menu()]
    if steps.outdated(t, action):  # pressed on an earlier message: the round goes on
        return await steps.moved_on(t)
    if action == "help":
        contacts = t.setting.contacts
        return [t.menu(t.say("chat.help", web=contacts.web_url, phones=contacts.phones))]
    if action == "send" or kind in sending.ACTIONS or action in sending.ACTIONS:
        return await sending.on_button(t, action)
    if action in ("link", "linkyes") or kind == "sup":
        return await on_link_button(t, action)
    if action in ("meters", "history", "unlink") or kind in ("unlink", "heater", "hmore"):
        return await on_meters_button(t, action)
    if action == "shared":
        return await sharing.shared(t)
    if kind in sharing.KINDS:
        return await sharing.unshare(t, action)
    if action in ("correct", "fixconfirm") or kind == "fix":
        return await on_correct_button(t, action)
    if action in ("settings", "reminders") or kind == "lang":
        return await on_settings_button(t, action)
    if kind == "carefor":
        return await caring.send_for(t, action)
    return [t.not_understood()]


async def on_link_button(t: Turn, action: str) -> list[Reply]:
    if action == "link":
        return linking.ask_number(t)
    if action == "linkyes":
        return await linking.confirm(t)
    return linking.supplier(t, action)


async def on_meters_button(t: Turn, action: str) -> list[Reply]:
    if action == "meters":
        return await meters.my_meters(t)
    if action == "history":
        return await meters.history(t)
    if action.startswith("hmore:"):
        return await meters.more_history(t, action)
    if action.startswith("heater:"):
        return await meters.water_heater(t, action)
    return await meters.unlink(t, action)


async def on_correct_button(t: Turn, action: str) -> list[Reply]:
    if action == "correct":
        return await correcting.choices(t)
    if action == "fixconfirm":
        return await correcting.confirmed(t)
    return correcting.pick(t, action)


async def on_settings_button(t: Turn, action: str) -> list[Reply]:
    if action == "settings":
        return [preferences.settings(t)]
    return await preferences.change(t, action)


async def on_text(t: Turn, text: str) -> list[Reply]:
    if caring.is_command(text):
        return await caring.command(t, text)
    state = t.state
    if isinstance(state, LinkNumber):
        return await linking.number(t, text)
    if isinstance(state, LinkProof):
        return await linking.proof(t, state, text)
    if isinstance(state, Correcting):
        return await correcting.value(t, state.receipt, text)
    return await sending.on_text(t, text)
