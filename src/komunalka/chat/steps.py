"""Buttons pressed on an earlier message: still meaningful, or the conversation moved on.

A messenger keeps every message's buttons, so a resident may press one from a question answered
long ago. A step with a question (a round of sending, linking, correcting) takes only the buttons
it offers now, and "menu" (always a way out); a button of a sending question carries its meter
(and zone), so one from an earlier meter's question is not taken for the current one. Any other
button gets `chat.button_outdated` and the current step asked again, with its buttons: the round
in progress stays as it was. At the menu, the menu's buttons and those that name what they act
on (`fix:<receipt>`, `heater:<meter>`, `unlink:<account>`, `lang:<code>`, `hmore:<meter>`,
`unshare:<account>:<resident>`) still do what they say; a button of a step that is over gets the
same answer and the menu.
"""

from __future__ import annotations

from komunalka.chat import linking, sending
from komunalka.chat.model import Reply
from komunalka.chat.state import (
    CorrectConfirm,
    Correcting,
    LinkConfirm,
    LinkNumber,
    LinkProof,
    LinkSupplier,
    Menu,
    SendConfirm,
    Sending,
)
from komunalka.chat.turn import Turn

# Buttons that belong to one step's question: they mean nothing once it is over.
STEP_ONLY = (
    "unchanged",
    "skip",
    "confirm",
    "reenter",
    "linkyes",
    "fixconfirm",
    "sup",
    "photook",
    "phototype",
)


def kind(action: str) -> str:
    return action.split(":", 1)[0]


def outdated(t: Turn, action: str) -> bool:
    """Whether a pressed button belongs to an earlier step than the one the dialog is at."""
    if action == "menu":
        return False
    state = t.state
    match state:
        case Menu():
            return kind(action) in STEP_ONLY
        case Sending(walk):
            return not sending.asks(walk, action)
        case SendConfirm(walk):
            return not sending.confirms(walk, action)
        case LinkSupplier():
            return kind(action) != "sup"
        case LinkConfirm():
            return action != "linkyes"
        case CorrectConfirm():
            return action != "fixconfirm"
        case _:  # the steps that wait for a text offer the menu only
            return True


async def moved_on(t: Turn) -> list[Reply]:
    """The round moved on: said so, and the current step's question with its buttons. After a
    stored state that could not be read, the apology for starting over says it instead."""
    if t.lost:
        return [t.not_understood()]
    return [Reply(t.say("chat.button_outdated")), *await again(t)]


async def again(t: Turn) -> list[Reply]:
    """The current step's question asked again; the state stays."""
    state = t.state
    match state:
        case Sending(walk):
            return [sending.question(t, walk)]
        case SendConfirm():
            return [sending.confirm_question(t)]
        case LinkNumber():
            return linking.ask_number(t)
        case LinkSupplier(number):
            return await linking.number(t, number)
        case LinkProof(number, supplier):
            return linking.ask_proof(t, number, supplier)
        case LinkConfirm():
            buttons = (t.button("linkyes"), t.button("menu"))
            return [Reply(t.say("chat.link_confirm_pending"), buttons)]
        case Correcting(receipt):
            return [Reply(t.say("chat.correct_ask", receipt=receipt), (t.button("menu"),))]
        case CorrectConfirm():
            buttons = (t.button("fixconfirm"), t.button("menu"))
            return [Reply(t.say("chat.send_confirm"), buttons)]
        case _:
            return [t.menu()]
