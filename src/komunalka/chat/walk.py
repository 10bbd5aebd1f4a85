"""A round of sending as the dialog keeps it: the questions (each one zone of a due meter, with
what the readings sheet gave to show), the one now, the answers to the current meter's zones, and
the summary's lines; with its stored form.

The walk only remembers: what is due, what a question shows and what an answer stands for come
from the readings sheet (see `sending`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from komunalka.chat.stored import Stored, Unreadable, int_of, text_of, texts_of


@dataclass(frozen=True, slots=True)
class Question:
    """One zone of one due meter, with what the question shows."""

    meter: int
    zone: str
    serial: str
    service: str  # in the resident's language: a walk ends when the language changes
    single: bool  # the meter has one zone: the question names none
    decimals: int
    previous: str | None  # the sheet's last value, formatted; None for a meter never read
    period: str  # the last value's period


@dataclass(frozen=True, slots=True)
class Walk:
    """A round of sending: the questions, the one now, the current meter's answers so far, and
    the lines of the summary (receipts; meters skipped, closed or blocked)."""

    queue: tuple[Question, ...]
    pos: int = 0
    values: tuple[tuple[str, str], ...] = ()  # (zone, text) in the order typed
    done: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()  # the zones answered "unchanged"
    # The resident the round sends for, when a caretaker sends on their behalf (else None).
    behalf: int | None = None

    @property
    def question(self) -> Question:
        return self.queue[self.pos]

    @property
    def meter(self) -> list[Question]:
        """The current meter's questions, one a zone."""
        return [q for q in self.queue if q.meter == self.question.meter]

    @property
    def answered(self) -> list[str]:
        return [zone for zone, _ in self.values] + list(self.unchanged)

    def answer(self, text: str, *, unchanged: bool = False) -> Walk:
        """The current zone answered: with a text, or "unchanged"."""
        zone = self.question.zone
        values = tuple((z, v) for z, v in self.values if z != zone)
        kept = tuple(z for z in self.unchanged if z != zone)
        if unchanged:
            return replace(self, values=values, unchanged=(*kept, zone))
        return replace(self, values=(*values, (zone, text)), unchanged=kept)

    def answer_zones(self, texts: Sequence[str]) -> Walk | None:
        """Several zones answered at once, in the meter's order: from the current zone on, or
        from its first when there is a text for every zone; None when the texts are more than
        those zones."""
        mine = [i for i, q in enumerate(self.queue) if q.meter == self.question.meter]
        ahead = [i for i in mine if i >= self.pos]
        if len(texts) > len(ahead):
            ahead = mine
        if len(texts) > len(ahead):
            return None
        walk = self
        for pos, text in zip(ahead, texts, strict=False):
            walk = replace(walk, pos=pos).answer(text)
        return replace(walk, pos=self.pos)

    def unanswered(self) -> Walk | None:
        """At the current meter's first zone with no answer; None when all have one."""
        answered = set(self.answered)
        meter = self.question.meter
        pos = next(
            (i for i, q in enumerate(self.queue) if q.meter == meter and q.zone not in answered),
            None,
        )
        return None if pos is None else replace(self, pos=pos)

    def again(self, zones: Iterable[str]) -> Walk:
        """These zones of the current meter asked again (all of them when none of these is
        the meter's): their answers dropped, at the first of them."""
        mine, wanted = [q.zone for q in self.meter], set(zones)
        asked = [z for z in mine if z in wanted] or mine
        values = tuple((z, v) for z, v in self.values if z not in asked)
        unchanged = tuple(z for z in self.unchanged if z not in asked)
        meter = self.question.meter
        pos = next(i for i, q in enumerate(self.queue) if (q.meter, q.zone) == (meter, asked[0]))
        return replace(self, pos=pos, values=values, unchanged=unchanged)

    def at(self, pos: int) -> Walk:
        """At another meter's first question, with no answers yet."""
        return replace(self, pos=pos, values=(), unchanged=())


def walk_fields(walk: Walk) -> Stored:
    """The stored form; empty lists are left out."""
    stored: Stored = {"queue": [_question_fields(q) for q in walk.queue], "pos": walk.pos}
    if walk.values:
        stored["values"] = dict(walk.values)
    if walk.unchanged:
        stored["unchanged"] = list(walk.unchanged)
    if walk.done:
        stored["done"] = list(walk.done)
    if walk.notes:
        stored["notes"] = list(walk.notes)
    if walk.behalf is not None:
        stored["behalf"] = walk.behalf
    return stored


def _question_fields(q: Question) -> Stored:
    return {
        "meter": q.meter,
        "zone": q.zone,
        "serial": q.serial,
        "service": q.service,
        "single": q.single,
        "decimals": q.decimals,
        "previous": q.previous,
        "period": q.period,
    }


def read_walk(stored: Stored) -> Walk:
    raw = stored.get("queue")
    if not isinstance(raw, list) or not raw:
        raise Unreadable("queue")
    queue = tuple(_question(item) for item in raw)
    pos = int_of(stored, "pos")
    if not 0 <= pos < len(queue):
        raise Unreadable("pos")
    values = stored.get("values", {})
    if not isinstance(values, dict) or not all(type(v) is str for v in values.values()):
        raise Unreadable("values")
    done, notes = texts_of(stored, "done"), texts_of(stored, "notes")
    unchanged = texts_of(stored, "unchanged")
    behalf = stored.get("behalf")
    if behalf is not None and type(behalf) is not int:
        raise Unreadable("behalf")
    return Walk(queue, pos, tuple(values.items()), done, notes, unchanged, behalf)


def _question(item: object) -> Question:
    if not isinstance(item, dict):
        raise Unreadable("question")
    previous = item.get("previous")
    if previous is not None and type(previous) is not str:
        raise Unreadable("previous")
    single = item.get("single")
    if type(single) is not bool:
        raise Unreadable("single")
    text = [text_of(item, k) for k in ("zone", "serial", "service", "period")]
    zone, serial, service, period = text
    meter, decimals = int_of(item, "meter"), int_of(item, "decimals")
    return Question(meter, zone, serial, service, single, decimals, previous, period)


def warnings_fields(warnings: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    """(zone, code) pairs, stored as the codes of each zone."""
    stored: dict[str, list[str]] = {}
    for zone, code in warnings:
        stored.setdefault(zone, []).append(code)
    return stored


def read_warnings(stored: Stored, walk: Walk) -> tuple[tuple[str, str], ...]:
    """The warnings each zone drew. A state stored before they were kept per zone has a list
    of codes, for every zone answered."""
    raw = stored.get("warnings")
    if isinstance(raw, list):
        codes = texts_of(stored, "warnings")
        return tuple((zone, code) for zone in walk.answered for code in codes)
    if not isinstance(raw, dict):
        raise Unreadable("warnings")
    return tuple((zone, code) for zone in raw for code in texts_of(raw, zone))
