"""Correcting a reading in the chat while its window is open: pick one sent this period (by its
receipt), type the right value; warnings ask for a yes, as when sending."""

from __future__ import annotations

from komunalka.application.readings.correct_reading import CorrectReadingRequest
from komunalka.application.readings.list_my_meters import PeriodStatus
from komunalka.chat.model import Button, Reply
from komunalka.chat.state import CorrectConfirm, Correcting
from komunalka.chat.turn import Turn
from komunalka.domain.errors import DomainError, Severity


async def choices(t: Turn) -> list[Reply]:
    meters = await t.uses.list_my_meters(t.identity.resident_id)
    buttons = []
    for m in meters:
        if m.status is not PeriodStatus.SENT:
            continue
        single = len(m.meter.registers) == 1
        for zone, reading in m.last.items():
            value = t.reading(reading.value, m.meter.decimals)
            named = "" if single else f" {t.zone(zone)}"
            label = t.say("chat.correct_button", serial=m.meter.serial, zone=named, value=value)
            buttons.append(Button(label, f"fix:{reading.receipt}"))
    if not buttons:
        return [t.menu(t.say("chat.correct_none"))]
    return [Reply(t.say("chat.correct_which"), (*buttons, t.button("menu")))]


def pick(t: Turn, action: str) -> list[Reply]:
    receipt = action.split(":", 1)[1]
    t.state = Correcting(receipt)
    return [Reply(t.say("chat.correct_ask", receipt=receipt), (t.button("menu"),))]


async def value(
    t: Turn, receipt: str, text: str, confirm: frozenset[str] = frozenset()
) -> list[Reply]:
    request = CorrectReadingRequest(t.actor, receipt, text.strip(), confirm, t.submission_key())
    try:
        result = await t.uses.correct_reading(request)
    except DomainError as exc:
        if all(v.severity is Severity.WARNING for v in exc.violations):
            warnings = tuple(sorted({v.code for v in exc.violations}))
            t.state = CorrectConfirm(receipt, text.strip(), warnings)
            buttons = (t.button("fixconfirm"), t.button("menu"))
            return [t.reply_error(exc), Reply(t.say("chat.send_confirm"), buttons)]
        # refused outright (after a yes too): the right value is asked for again
        t.state = Correcting(receipt)
        return [t.reply_error(exc), Reply(t.say("chat.correct_ask", receipt=receipt))]
    (done,) = result.readings
    return [t.menu(t.say("chat.corrected", value=t.reading(done.value, 3), receipt=done.receipt))]


async def confirmed(t: Turn) -> list[Reply]:
    if not isinstance(t.state, CorrectConfirm):
        return [t.not_understood()]
    state = t.state
    return await value(t, state.receipt, state.value, frozenset(state.warnings))
