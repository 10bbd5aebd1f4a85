"""Sending readings in the chat: every due meter and zone across the resident's accounts, one
question at a time; a meter is submitted as soon as all its zones are typed, so one meter's
problem never holds the others back.

The round is a `Walk` (the questions, the one now, the current meter's answers, the summary's
lines), held by `Sending` while asking and by `SendConfirm` while warnings wait for a yes.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from komunalka.application.readings.list_my_meters import MeterOverview, PeriodStatus
from komunalka.application.readings.submit_readings import ReadingItem, SubmitReadingsRequest
from komunalka.chat.model import Reply
from komunalka.chat.state import Question, SendConfirm, Sending, Walk
from komunalka.chat.turn import Turn
from komunalka.domain.errors import DomainError, Severity
from komunalka.domain.values import format_value

ACTIONS = ("unchanged", "skip", "confirm", "reenter")


async def on_button(t: Turn, action: str) -> list[Reply]:
    if action == "send":
        return await start(t)
    state = t.state
    if isinstance(state, SendConfirm) and action in ("confirm", "reenter"):
        if action == "confirm":
            return await submit(t, state.walk, frozenset(state.warnings))
        return reenter(t, state.walk)
    if not isinstance(state, Sending):
        return [t.not_understood()]
    walk = state.walk
    if action == "skip":
        skipped = t.say("chat.send_skipped", serial=walk.question.serial)
        return next_meter(t, replace(walk, notes=(*walk.notes, skipped)))
    if action == "unchanged":
        if walk.question.previous is None:
            return [Reply(t.say("chat.send_no_previous")), question(t, walk)]
        return await answer(t, walk, walk.question.previous)
    return [question(t, walk)]


async def on_text(t: Turn, text: str) -> list[Reply]:
    if isinstance(t.state, SendConfirm):
        return [Reply(t.say("chat.send_confirm_first")), confirm_question(t)]
    if not isinstance(t.state, Sending):
        return [t.not_understood()]
    return await answer(t, t.state.walk, text)


async def start(t: Turn) -> list[Reply]:
    meters = await t.uses.list_my_meters(t.identity.resident_id)
    if not meters:
        return [t.menu(t.say("chat.no_accounts"))]
    queue: list[Question] = []
    notes: list[str] = []
    for m in meters:
        if m.status is PeriodStatus.DUE:
            queue += questions(t, m)
        else:
            notes.append(note(t, m))
    if not queue:
        return [t.menu("\n".join([t.say("chat.send_none_due"), *notes]))]
    walk = Walk(tuple(queue), notes=tuple(notes))
    t.state = Sending(walk)
    return [question(t, walk)]


def questions(t: Turn, m: MeterOverview) -> list[Question]:
    """A due meter's questions, one a zone."""
    meter = m.meter
    service = t.say(f"service.{meter.service.value}")
    single = len(meter.registers) == 1
    found = []
    for zone in meter.registers:
        last = m.last.get(zone)
        previous = format_value(last.value, meter.decimals) if last else None
        period = str(last.period) if last else ""
        found.append(
            Question(
                meter.id, zone, meter.serial, service, single, meter.decimals, previous, period
            )
        )
    return found


def note(t: Turn, m: MeterOverview) -> str:
    """Why a meter that is not due is left out, for the summary."""
    serial = m.meter.serial
    if m.status is PeriodStatus.WINDOW_CLOSED:
        return t.say("chat.send_closed", serial=serial, opens=m.opens_on.isoformat())
    if m.status is PeriodStatus.BLOCKED and m.blocked_code:
        reason = t.say(m.blocked_code, **m.blocked_params)
        return t.say("chat.send_blocked", serial=serial, reason=reason)
    return t.say("chat.send_already", serial=serial)


def question(t: Turn, walk: Walk) -> Reply:
    q = walk.question
    zone = "" if q.single else t.say("chat.zone", zone=q.zone)
    asked = {"service": q.service, "serial": q.serial, "zone": zone}
    if q.previous is None:
        text = t.say("chat.send_ask_first", **asked)
    else:
        text = t.say("chat.send_ask", previous=q.previous, period=q.period, **asked)
    buttons = (t.button("unchanged"), t.button("skip"), t.button("menu"))
    return Reply(text, buttons)


async def answer(t: Turn, walk: Walk, text: str) -> list[Reply]:
    q = walk.question
    values = dict(walk.values)
    values[q.zone] = text.strip()
    walk = replace(walk, values=tuple(values.items()))
    following = walk.pos + 1
    if following < len(walk.queue) and walk.queue[following].meter == q.meter:
        walk = replace(walk, pos=following)
        t.state = Sending(walk)
        return [question(t, walk)]
    t.state = Sending(walk)
    return await submit(t, walk, frozenset())


async def submit(t: Turn, walk: Walk, confirm: frozenset[str]) -> list[Reply]:
    q = walk.question
    items = [ReadingItem(q.meter, value, zone, confirm) for zone, value in walk.values]
    # One key per attempt: a door that delivers the same message twice submits once.
    key = secrets.token_hex(8)
    request = SubmitReadingsRequest(t.actor, items, f"chat-{key}")
    try:
        result = await t.uses.submit_readings(request)
    except DomainError as exc:
        return refused(t, walk, exc)
    accepted = tuple(
        t.say(
            "chat.send_accepted",
            serial=q.serial,
            zone=r.register,
            value=format_value(r.value, q.decimals),
            receipt=r.receipt,
        )
        for r in result.readings
    )
    return next_meter(t, replace(walk, done=(*walk.done, *accepted)))


def refused(t: Turn, walk: Walk, exc: DomainError) -> list[Reply]:
    if all(v.severity is Severity.WARNING for v in exc.violations):
        t.state = SendConfirm(walk, tuple(sorted({v.code for v in exc.violations})))
        return [t.reply_error(exc), confirm_question(t)]
    walk = replace(walk, pos=first_of_meter(walk), values=())
    # The step stays what it was (a refusal after a yes stays at the yes), as it always has.
    t.state = replace(t.state, walk=walk) if isinstance(t.state, SendConfirm) else Sending(walk)
    return [t.reply_error(exc), question(t, walk)]


def confirm_question(t: Turn) -> Reply:
    buttons = (t.button("confirm"), t.button("reenter"), t.button("menu"))
    return Reply(t.say("chat.send_confirm"), buttons)


def reenter(t: Turn, walk: Walk) -> list[Reply]:
    walk = replace(walk, pos=first_of_meter(walk), values=())
    t.state = Sending(walk)
    return [question(t, walk)]


def first_of_meter(walk: Walk) -> int:
    meter = walk.question.meter
    return next(i for i, q in enumerate(walk.queue) if q.meter == meter)


def next_meter(t: Turn, walk: Walk) -> list[Reply]:
    """The first question of the next meter, or the summary when none is left."""
    meter = walk.question.meter
    queue = walk.queue
    pos = next((i for i, q in enumerate(queue) if i > walk.pos and q.meter != meter), None)
    if pos is None:
        summary = [t.say("chat.send_summary"), *walk.done, *walk.notes]
        return [t.menu("\n".join(summary))]
    walk = replace(walk, pos=pos, values=())
    t.state = Sending(walk)
    return [question(t, walk)]
