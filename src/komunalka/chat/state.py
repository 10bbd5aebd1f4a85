"""Where a conversation stands: one frozen dataclass per step, and its stored form.

The stored form is the JSON object the `DialogStateStore` keeps: ``step`` names the step, its
fields sit beside it, and ``identity`` remembers who the user is (see `recalled`). It is the form
the dict-based dialog had, so a conversation stored before the dialog was typed goes on where it
was. A stored state is checked when it is read: anything that is not a whole state of a known
step raises `Unreadable`, and the conversation starts over. Empty lists are left out of the
stored form, to keep it small.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from komunalka.application.identity.identify_resident import LANGUAGES
from komunalka.application.identity.ports import Identity

Stored = dict[str, Any]
IDENTITY = "identity"


class Unreadable(ValueError):
    """A stored state that is not a whole state of a known step."""


@dataclass(frozen=True, slots=True)
class Menu:
    """Nothing under way: a text is not understood, buttons act."""

    STEP: ClassVar[str] = "menu"


@dataclass(frozen=True, slots=True)
class LinkNumber:
    """Asked for an account number."""

    STEP: ClassVar[str] = "link_number"


@dataclass(frozen=True, slots=True)
class LinkSupplier:
    """The number fits several suppliers' formats: asked whose it is."""

    STEP: ClassVar[str] = "link_supplier"
    number: str


@dataclass(frozen=True, slots=True)
class LinkProof:
    """Asked for the holder's surname or a meter's serial."""

    STEP: ClassVar[str] = "link_proof"
    number: str
    supplier: str


@dataclass(frozen=True, slots=True)
class LinkConfirm:
    """The proof matched: asked to confirm the masked holder and address."""

    STEP: ClassVar[str] = "link_confirm"
    number: str
    supplier: str
    proof: str


@dataclass(frozen=True, slots=True)
class Question:
    """One zone of one due meter, with what the question shows."""

    meter: int
    zone: str
    serial: str
    service: str  # in the resident's language: a walk ends when the language changes
    single: bool  # the meter has one zone: the question names none
    decimals: int
    previous: str | None  # the last value, formatted; None for a meter never read
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

    @property
    def question(self) -> Question:
        return self.queue[self.pos]


@dataclass(frozen=True, slots=True)
class Sending:
    """Walking the due meters: a text answers the question at `walk.pos`."""

    STEP: ClassVar[str] = "send"
    walk: Walk


@dataclass(frozen=True, slots=True)
class SendConfirm:
    """A meter's values drew warnings: asked for a yes (or to type them again)."""

    STEP: ClassVar[str] = "confirm"
    walk: Walk
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Correcting:
    """A reading picked by its receipt: asked for the right value."""

    STEP: ClassVar[str] = "correct"
    receipt: str


@dataclass(frozen=True, slots=True)
class CorrectConfirm:
    """The corrected value drew warnings: asked for a yes."""

    STEP: ClassVar[str] = "correct_confirm"
    receipt: str
    value: str
    warnings: tuple[str, ...]


DialogState = (
    Menu
    | LinkNumber
    | LinkSupplier
    | LinkProof
    | LinkConfirm
    | Sending
    | SendConfirm
    | Correcting
    | CorrectConfirm
)


def dump(state: DialogState, identity: Identity) -> Stored:
    """The stored form of a state, with the identity it remembers."""
    stored: Stored = {"step": state.STEP, **_fields(state)}
    stored[IDENTITY] = {
        "resident": identity.resident_id,
        "language": identity.language,
        "reminders": identity.reminders,
    }
    return stored


def load(stored: object) -> DialogState:
    """The state a stored form holds (the identity aside); `Unreadable` when it holds none."""
    if not isinstance(stored, dict):
        raise Unreadable("not an object")
    step = stored.get("step", Menu.STEP)  # a state with no step (a cleared one) is at the menu
    read = _READERS.get(step) if isinstance(step, str) else None
    if read is None:
        raise Unreadable(f"step {step!r}")
    return read(stored)


def recalled(channel: str, user: str, stored: object) -> Identity | None:
    """The identity a stored form remembers, when it is whole."""
    kept = stored.get(IDENTITY) if isinstance(stored, dict) else None
    if not isinstance(kept, dict):
        return None
    resident, language, reminders = (kept.get(k) for k in ("resident", "language", "reminders"))
    if type(resident) is not int or language not in LANGUAGES or type(reminders) is not bool:
        return None
    return Identity(channel, user, resident, language, reminders)


def _fields(state: DialogState) -> Stored:
    match state:
        case Sending(walk):
            return _walk_fields(walk)
        case SendConfirm(walk, warnings):
            return {**_walk_fields(walk), "warnings": list(warnings)}
        case CorrectConfirm(receipt, value, warnings):
            return {"receipt": receipt, "value": value, "warnings": list(warnings)}
        case _:  # the other steps hold texts only
            return {f.name: getattr(state, f.name) for f in fields(state)}


def _walk_fields(walk: Walk) -> Stored:
    stored: Stored = {"queue": [_question_fields(q) for q in walk.queue], "pos": walk.pos}
    if walk.values:
        stored["values"] = dict(walk.values)
    if walk.done:
        stored["done"] = list(walk.done)
    if walk.notes:
        stored["notes"] = list(walk.notes)
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


def _walk(stored: Stored) -> Walk:
    raw = stored.get("queue")
    if not isinstance(raw, list) or not raw:
        raise Unreadable("queue")
    queue = tuple(_question(item) for item in raw)
    pos = _int(stored, "pos")
    if not 0 <= pos < len(queue):
        raise Unreadable("pos")
    values = stored.get("values", {})
    if not isinstance(values, dict) or not all(type(v) is str for v in values.values()):
        raise Unreadable("values")
    done, notes = _texts(stored, "done"), _texts(stored, "notes")
    return Walk(queue, pos, tuple(values.items()), done, notes)


def _question(item: object) -> Question:
    if not isinstance(item, dict):
        raise Unreadable("question")
    previous = item.get("previous")
    if previous is not None and type(previous) is not str:
        raise Unreadable("previous")
    single = item.get("single")
    if type(single) is not bool:
        raise Unreadable("single")
    text = [_text(item, k) for k in ("zone", "serial", "service", "period")]
    zone, serial, service, period = text
    meter, decimals = _int(item, "meter"), _int(item, "decimals")
    return Question(meter, zone, serial, service, single, decimals, previous, period)


def _text(stored: Stored, key: str) -> str:
    value = stored.get(key)
    if type(value) is not str:
        raise Unreadable(key)
    return value


def _int(stored: Stored, key: str) -> int:
    value = stored.get(key)
    if type(value) is not int:
        raise Unreadable(key)
    return value


def _texts(stored: Stored, key: str) -> tuple[str, ...]:
    value = stored.get(key, [])
    if not isinstance(value, list) or not all(type(v) is str for v in value):
        raise Unreadable(key)
    return tuple(value)


_READERS: dict[str, Callable[[Stored], DialogState]] = {
    Menu.STEP: lambda s: Menu(),
    LinkNumber.STEP: lambda s: LinkNumber(),
    LinkSupplier.STEP: lambda s: LinkSupplier(_text(s, "number")),
    LinkProof.STEP: lambda s: LinkProof(_text(s, "number"), _text(s, "supplier")),
    LinkConfirm.STEP: lambda s: LinkConfirm(
        _text(s, "number"), _text(s, "supplier"), _text(s, "proof")
    ),
    Sending.STEP: lambda s: Sending(_walk(s)),
    SendConfirm.STEP: lambda s: SendConfirm(_walk(s), _texts(s, "warnings")),
    Correcting.STEP: lambda s: Correcting(_text(s, "receipt")),
    CorrectConfirm.STEP: lambda s: CorrectConfirm(
        _text(s, "receipt"), _text(s, "value"), _texts(s, "warnings")
    ),
}
