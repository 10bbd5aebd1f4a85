"""Caretakers in the chat: ``/care <code>`` accepts a resident's invitation, ``/care`` lists
whom the speaker cares for, one button each (`carefor:<resident>`), which starts a round of
sending on that resident's behalf (`sending.start`). Inviting and ending are the cabinet's."""

from __future__ import annotations

from komunalka.chat import sending
from komunalka.chat.model import Button, Reply
from komunalka.chat.state import Menu
from komunalka.chat.turn import Turn
from komunalka.domain.ids import parse_id

COMMAND = "/care"


def is_command(text: str) -> bool:
    """``/care``, with or without a code (``/care@<bot>`` too, as Telegram writes it)."""
    head = text.strip().split(maxsplit=1)[0].lower() if text.strip() else ""
    return head == COMMAND or head.startswith(f"{COMMAND}@")


async def command(t: Turn, text: str) -> list[Reply]:
    """``/care``: whom the speaker may send for; ``/care <code>``: accept an invitation."""
    t.state = Menu()  # a command leaves whatever step was under way
    parts = text.strip().split(maxsplit=1)
    if len(parts) > 1:
        person = await t.uses.accept_caretaking(t.actor, parts[1])
        said = t.say("chat.care_accepted", who=person.masked_name)
        return [Reply(said), *await choices(t)]
    return await choices(t)


async def choices(t: Turn) -> list[Reply]:
    view = await t.uses.show_caretaking(t.identity.resident_id)
    if not view.cared_for:
        return [t.menu(t.say("chat.care_none"))]
    buttons = tuple(
        Button(t.say("chat.btn_carefor", who=p.masked_name), f"carefor:{p.resident_id}")
        for p in view.cared_for
    )
    return [Reply(t.say("chat.care_choose"), (*buttons, t.button("menu")))]


async def send_for(t: Turn, action: str) -> list[Reply]:
    """`carefor:<resident>`: a round of sending for them (refused once the care has ended)."""
    resident_id = parse_id(action.partition(":")[2])
    if resident_id is None:
        return [t.not_understood()]
    view = await t.uses.show_caretaking(t.identity.resident_id)
    person = next((p for p in view.cared_for if p.resident_id == resident_id), None)
    if person is None:
        return [t.menu(t.say("care.not_found"))]
    replies = await sending.start(t, behalf=resident_id)
    return [Reply(t.say("chat.care_sending_for", who=person.masked_name)), *replies]
