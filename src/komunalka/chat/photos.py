"""A photo of the meter in a round of sending: read, checked, and offered for a yes.

The resident sends a photo while a meter is asked; `ReadMeterPhoto` reads the counter's integer
part and checks it against the meter's previous readings. A value that passes is only offered:
"Is it 01234?" with `photook:<meter>:<zone>:<value>` (Confirm: the value goes on as if typed,
through the normal submission and its checks) and `phototype:<meter>` (Type it). Nothing is
stored before Confirm. A read that fails, a photo that cannot be had, or no reader installed
asks for a closer, straight photo or a typed value; the question stands (ADR 0027). The buttons
name their meter and zone (ADR 0021), so one pressed after the round moved on is told apart.
"""

from __future__ import annotations

from komunalka.application.readings.photo_reading import ReadFailure, shown
from komunalka.application.readings.read_meter_photo import ReadMeterPhotoRequest
from komunalka.chat.model import Button, Reply
from komunalka.chat.turn import Turn
from komunalka.chat.walk import Question
from komunalka.domain.errors import DomainError
from komunalka.domain.ids import is_ascii_number

ACTIONS = ("photook", "phototype")
MAX_DIGITS = 9  # a meter has at most nine digits (domain/meters.py)


def asks(meter: int, zone: str, action: str) -> bool:
    """Whether a photo's button is one of the question now (meter, zone)."""
    if action == f"phototype:{meter}":
        return True
    head, _, value = action.rpartition(":")
    return head == f"photook:{meter}:{zone}" and _is_value(value)


def confirmed_value(action: str) -> str:
    """The value a Confirm button carries (checked by `asks`)."""
    return action.rpartition(":")[2]


def _is_value(text: str) -> bool:
    return 1 <= len(text) <= MAX_DIGITS and is_ascii_number(text)


async def offer(t: Turn, q: Question, image: bytes) -> Reply:
    """ "Is it 01234?" with Confirm / Type it, or why the photo gave nothing (no buttons)."""
    if not image:
        return Reply(t.say("chat.photo_not_received"))
    request = ReadMeterPhotoRequest(t.actor, q.meter, q.zone, image)
    try:
        read = await t.uses.read_meter_photo(request)
    except DomainError as exc:
        return t.reply_error(exc)
    if read.value is None:
        return Reply(t.say((read.failure or ReadFailure.UNREADABLE).value))
    value = shown(read.value, read.digits)
    zone = "" if q.single else t.say("chat.zone", zone=t.zone(q.zone))
    text = t.say("chat.photo_is_it", value=value, serial=q.serial, zone=zone)
    confirm = Button(t.say("chat.btn_photook"), f"photook:{q.meter}:{q.zone}:{read.value}")
    return Reply(text, (confirm, t.button(f"phototype:{q.meter}"), t.button("menu")))
