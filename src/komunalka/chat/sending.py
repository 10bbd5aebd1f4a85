"""Sending readings in the chat: every due meter and zone across the resident's accounts, one
question at a time; a meter is submitted as soon as all its zones are answered, so one meter's
problem never holds the others back, and its receipts are said as soon as it is stored (the
summary at the end of the round names them again).

The round renders the readings sheet (application/readings/readings_sheet.py) and sends back
what the person chose: the sheet decides what is due, the previous value a question shows, what
"unchanged" stands for, and after a refusal which violations are warnings to confirm and on which
zone each belongs. The round is a `Walk`, held by `Sending` while asking and by `SendConfirm`
while warnings wait for a yes; after a refusal the zones refused are asked again.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from komunalka.application.readings.list_my_meters import MeterOverview, PeriodStatus
from komunalka.application.readings.readings_sheet import (
    ReadingsSheet,
    SheetAnswer,
    SheetLine,
    SheetMeter,
    typed_items,
)
from komunalka.application.readings.submit_readings import SubmitReadingsRequest
from komunalka.chat import photos
from komunalka.chat.model import Reply
from komunalka.chat.notes import estimate_lines
from komunalka.chat.state import SendConfirm, Sending
from komunalka.chat.turn import Turn
from komunalka.chat.walk import Question, Walk
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.values import format_value
from komunalka.i18n import day_in_words

# A question's buttons name its meter (and zone): `unchanged:<meter>:<zone>`, `skip:<meter>`,
# `confirm:<meter>`, `reenter:<meter>`, so one pressed on an earlier question is told apart
# (see `steps`). The bare ones, on messages sent before, act on the question now.
ACTIONS = ("unchanged", "skip", "confirm", "reenter", *photos.ACTIONS)
# Values of several zones typed in one message: one a line, or split by a slash.
BETWEEN_ZONES = re.compile(r"[\r\n/]")

Confirmed = tuple[tuple[str, str], ...]  # (zone, code)


def asks(walk: Walk, action: str) -> bool:
    """Whether a button is one of the current question's."""
    q = walk.question
    return (
        action in ("unchanged", "skip")
        or action in (f"unchanged:{q.meter}:{q.zone}", f"skip:{q.meter}")
        or photos.asks(q.meter, q.zone, action)
    )


def confirms(walk: Walk, action: str) -> bool:
    """Whether a button is one of the current meter's question for a yes."""
    meter = walk.question.meter
    return action in ("confirm", "reenter", f"confirm:{meter}", f"reenter:{meter}")


async def on_button(t: Turn, action: str) -> list[Reply]:
    """`action` is the start or one the current step offers (the conversation checked)."""
    if action == "send":
        return await start(t)
    state, kind = t.state, action.split(":", 1)[0]
    if isinstance(state, SendConfirm) and kind in ("confirm", "reenter"):
        if kind == "confirm":
            return await submit(t, state.walk, state.warnings)
        return ask(t, state.walk.again(zone for zone, _ in state.warnings))
    if not isinstance(state, Sending):
        return [t.not_understood()]
    walk = state.walk
    if kind == "skip":
        skipped = t.say("chat.send_skipped", serial=walk.question.serial)
        return await next_meter(t, replace(walk, notes=(*walk.notes, skipped)))
    if kind == "unchanged":
        return await unchanged(t, walk)
    if kind == "photook":
        return await answer(t, walk.answer(photos.confirmed_value(action)))
    if kind == "phototype":
        return [Reply(t.say("chat.photo_type_it")), question(t, walk)]
    return [question(t, walk)]


async def on_photo(t: Turn, image: bytes) -> list[Reply]:
    """A photo of the meter asked now: its reading offered for a yes, or why not."""
    state = t.state
    if isinstance(state, SendConfirm):
        return [Reply(t.say("chat.send_confirm_first")), confirm_question(t)]
    if not isinstance(state, Sending):
        return [t.menu(t.say("chat.photo_outside_round"))]
    said = await photos.offer(t, state.walk.question, image)
    if said.buttons:
        return [said]
    return [said, question(t, state.walk)]


async def on_text(t: Turn, text: str) -> list[Reply]:
    if isinstance(t.state, SendConfirm):
        return [Reply(t.say("chat.send_confirm_first")), confirm_question(t)]
    if not isinstance(t.state, Sending):
        return [t.not_understood()]
    walk = t.state.walk
    typed = [part.strip() for part in BETWEEN_ZONES.split(text) if part.strip()]
    if not typed:  # nothing typed: the question stands
        return [question(t, walk)]
    if len(typed) == 1:
        return await answer(t, walk.answer(typed[0]))
    return await several(t, walk, typed)


async def several(t: Turn, walk: Walk, typed: list[str]) -> list[Reply]:
    """Values of several zones in one message fill the meter's zones in order; a meter of one
    zone, or fewer zones than values, takes none of them."""
    q = walk.question
    filled = None if q.single else walk.answer_zones(typed)
    if filled is not None:
        return await answer(t, filled)
    if q.single:
        said = t.say("chat.send_one_value", serial=q.serial)
    else:
        zones = ", ".join(t.zone(x.zone) for x in walk.meter)
        said = t.say("chat.send_too_many_values", serial=q.serial, zones=zones)
    return [Reply(said), question(t, walk)]


async def start(t: Turn, behalf: int | None = None) -> list[Reply]:
    """The round over the resident's due meters; with `behalf`, over that resident's, sent by
    the speaker as their caretaker (refused unless the caretaking is active)."""
    if behalf is not None:
        await t.uses.act_for(t.actor, behalf)
    sheet = await t.uses.readings_sheet(t.identity.resident_id if behalf is None else behalf)
    if not sheet.meters:
        return [t.menu(t.say("chat.no_accounts"))]
    queue = [q for m in sheet.due for q in questions(t, m)]
    notes = [note(t, m.overview) for m in sheet.meters if not m.due]
    if not queue:
        return [t.menu("\n".join([t.say("chat.send_none_due"), *notes]))]
    return ask(t, Walk(tuple(queue), notes=tuple(notes), behalf=behalf))


def whose(t: Turn, walk: Walk) -> int:
    """The resident whose meters the round sends."""
    return t.identity.resident_id if walk.behalf is None else walk.behalf


def questions(t: Turn, m: SheetMeter) -> list[Question]:
    """A due meter's questions, one a zone (a line of the sheet)."""
    meter = m.overview.meter
    service = t.say(f"service.{meter.service.value}")
    single = len(m.lines) == 1
    found = []
    for line in m.lines:
        last = line.last
        previous = format_value(last.value, meter.decimals) if last else None
        period = str(last.period) if last else ""
        asked = (meter.serial, service, single, meter.decimals, previous, period)
        found.append(Question(meter.id, line.register, *asked))
    return found


def note(t: Turn, m: MeterOverview) -> str:
    """Why a meter that is not due is left out, for the summary."""
    serial = m.meter.serial
    if m.status is PeriodStatus.WINDOW_CLOSED:
        early = m.supplier.window.early_days
        if early:  # early sending starts that many days before the opening day
            starts = m.opens_on - timedelta(days=early)
            return t.say("chat.send_closed_early", serial=serial, opens=m.opens_on, early=starts)
        return t.say("chat.send_closed", serial=serial, opens=m.opens_on)
    if m.status is PeriodStatus.BLOCKED and m.blocked_code:
        reason = t.say(m.blocked_code, **m.blocked_params)
        return t.say("chat.send_blocked", serial=serial, reason=reason)
    return t.say("chat.send_already", serial=serial)


def ask(t: Turn, walk: Walk) -> list[Reply]:
    t.state = Sending(walk)
    return [question(t, walk)]


def question(t: Turn, walk: Walk) -> Reply:
    q = walk.question
    zone = "" if q.single else t.say("chat.zone", zone=t.zone(q.zone))
    asked = {"service": q.service, "serial": q.serial, "zone": zone}
    if q.previous is None:
        text = t.say("chat.send_ask_first", **asked)
    else:
        previous = shown(t, q.previous, q.decimals)
        text = t.say("chat.send_ask", previous=previous, period=t.month(q.period), **asked)
    unchanged = t.button(f"unchanged:{q.meter}:{q.zone}")
    return Reply(text, (unchanged, t.button(f"skip:{q.meter}"), t.button("menu")))


def shown(t: Turn, previous: str, decimals: int) -> str:
    """The previous value a question keeps (the machine form) as the resident reads numbers."""
    try:
        return t.reading(Decimal(previous), decimals)
    except InvalidOperation:  # not a number: shown as kept
        return previous


async def unchanged(t: Turn, walk: Walk) -> list[Reply]:
    """ "Unchanged", when the sheet offers it for this zone."""
    q = walk.question
    sheet = await t.uses.readings_sheet(whose(t, walk))
    line = sheet.line(q.meter, q.zone)
    if line is None or not line.offers_unchanged:
        return [Reply(t.say("chat.send_no_previous")), question(t, walk)]
    return await answer(t, walk.answer("", unchanged=True))


async def answer(t: Turn, walk: Walk) -> list[Reply]:
    """The next zone of the meter with no answer yet; when none is left, the meter goes."""
    following = walk.unanswered()
    if following is not None:
        return ask(t, following)
    t.state = Sending(walk)
    return await submit(t, walk, ())


def answers(walk: Walk, confirmed: Confirmed) -> list[SheetAnswer]:
    """What the person chose for the current meter, with the warnings they confirmed."""
    typed = dict(walk.values)
    return [
        SheetAnswer(
            q.meter,
            q.zone,
            typed.get(q.zone, ""),
            q.zone in walk.unchanged,
            frozenset(code for zone, code in confirmed if zone == q.zone),
        )
        for q in walk.meter
        if q.zone in typed or q.zone in walk.unchanged
    ]


async def submit(t: Turn, walk: Walk, confirmed: Confirmed) -> list[Reply]:
    # A caretaker's round asks again whether they still care for the resident, every meter.
    actor = t.actor if walk.behalf is None else await t.uses.act_for(t.actor, walk.behalf)
    given = answers(walk, confirmed)
    # Typed values go as typed: the sheet is built only when an answer stands for a value it
    # knows ("unchanged"), a refusal must be placed on it, or a reading was held (its supplier).
    items = typed_items(given)
    sheet = None
    if items is None:
        sheet = await t.uses.readings_sheet(whose(t, walk))
        items = sheet.items(given)
    # One key per attempt, from the update: a turn carried out twice submits once.
    request = SubmitReadingsRequest(actor, items, t.submission_key())
    try:
        result = await t.uses.submit_readings(request)
    except DomainError as exc:
        sheet = sheet or await t.uses.readings_sheet(whose(t, walk))
        return refused(t, walk, sheet.after(exc, given))
    if sheet is None and any(r.held_until is not None for r in result.readings):
        sheet = await t.uses.readings_sheet(whose(t, walk))
    q = walk.question
    accepted = tuple(
        t.say(
            "chat.send_accepted",
            serial=q.serial,
            zone="" if q.single else f" {t.zone(r.register)}",
            value=t.reading(r.value, q.decimals),
            receipt=r.receipt,
        )
        + held(t, sheet, r.meter_id, r.held_until)
        for r in result.readings
    )
    following = await next_meter(t, replace(walk, done=(*walk.done, *accepted)))
    if isinstance(t.state, Sending):  # another meter is asked: say these are stored, first
        return [Reply("\n".join([t.say("chat.send_stored"), *accepted])), *following]
    return following  # the summary, which names them


def held(t: Turn, sheet: ReadingsSheet | None, meter_id: int, until: datetime | None) -> str:
    """For a reading sent early: "; accepted, passed on to <supplier> on <day>"."""
    if until is None or sheet is None:
        return ""
    meter = next((m.overview for m in sheet.meters if m.overview.meter.id == meter_id), None)
    if meter is None:
        return ""
    day = day_in_words(until.astimezone(meter.supplier.window.zone).date(), t.lang)
    return "; " + t.say("reading.held", supplier=meter.supplier.name, date=day)


def refused(t: Turn, walk: Walk, tried: ReadingsSheet) -> list[Reply]:
    """The sheet after the try says: warnings only ask for a yes; otherwise the zones with
    errors (every zone, when the errors are the meter's or no zone's) are asked again."""
    lines = meter_lines(tried, walk.question.meter)
    said = Reply("\n".join(t.say(v.code, **v.params) for v in placed(tried, lines)))
    if tried.only_warnings:
        warnings = tuple((x.register, v.code) for x in lines for v in x.warnings)
        t.state = SendConfirm(walk, tuple(dict.fromkeys(warnings)))
        return [said, confirm_question(t)]
    return [said, *ask(t, walk.again(x.register for x in lines if x.errors))]


def meter_lines(sheet: ReadingsSheet, meter_id: int) -> tuple[SheetLine, ...]:
    return next((m.lines for m in sheet.meters if m.overview.meter.id == meter_id), ())


def placed(tried: ReadingsSheet, lines: tuple[SheetLine, ...]) -> list[Violation]:
    """The violations of a try: the meter's zone by zone, then those of no zone."""
    return [v for x in lines for v in (*x.errors, *x.warnings)] + list(tried.problems)


def confirm_question(t: Turn) -> Reply:
    meter = t.state.walk.question.meter if isinstance(t.state, SendConfirm) else None
    tag = "" if meter is None else f":{meter}"
    buttons = (t.button(f"confirm{tag}"), t.button(f"reenter{tag}"), t.button("menu"))
    return Reply(t.say("chat.send_confirm"), buttons)


async def next_meter(t: Turn, walk: Walk) -> list[Reply]:
    """The first question of the next meter, or the summary when none is left: what was sent,
    skipped, and the period's estimated amount of each account with use."""
    meter = walk.question.meter
    pos = next((i for i, q in enumerate(walk.queue) if i > walk.pos and q.meter != meter), None)
    if pos is None:
        estimates = await t.uses.estimate_bills(whose(t, walk))
        summary = [t.say("chat.send_summary"), *walk.done, *walk.notes]
        summary += estimate_lines(estimates, t.say, t.lang)
        return [t.menu("\n".join(summary))]
    return ask(t, walk.at(pos))
