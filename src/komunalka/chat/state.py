"""Where a conversation stands: one frozen dataclass per step, and its stored form.

The stored form is the JSON object the `DialogStateStore` keeps: ``step`` names the step, its
fields sit beside it, and ``identity`` remembers who the user is (see `recalled`). It is the form
the dict-based dialog had, so a conversation stored before the dialog was typed goes on where it
was. A stored state is checked when it is read: anything that is not a whole state of a known
step raises `Unreadable`, and the conversation starts over. Empty lists are left out of the
stored form, to keep it small. A round of sending (`walk`) keeps its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import ClassVar

from komunalka.application.identity.identify_resident import LANGUAGES
from komunalka.application.identity.ports import Identity
from komunalka.chat.stored import Stored, Unreadable, text_of, texts_of
from komunalka.chat.walk import (
    Question,
    Walk,
    read_walk,
    read_warnings,
    walk_fields,
    warnings_fields,
)

__all__ = [  # Question, Walk and Unreadable are at home in `walk` and `stored`
    "CorrectConfirm",
    "Correcting",
    "DialogState",
    "LinkConfirm",
    "LinkNumber",
    "LinkProof",
    "LinkSupplier",
    "Menu",
    "Question",
    "SendConfirm",
    "Sending",
    "Unreadable",
    "Walk",
    "dump",
    "load",
    "recalled",
]

IDENTITY = "identity"


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
class Sending:
    """Walking the due meters: a text answers the question at `walk.pos`."""

    STEP: ClassVar[str] = "send"
    walk: Walk


@dataclass(frozen=True, slots=True)
class SendConfirm:
    """A meter's values drew warnings, and nothing else: asked for a yes (or to type them
    again). `warnings`: (zone, code), where the readings sheet placed each."""

    STEP: ClassVar[str] = "confirm"
    walk: Walk
    warnings: tuple[tuple[str, str], ...]


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
            return walk_fields(walk)
        case SendConfirm(walk, warnings):
            return {**walk_fields(walk), "warnings": warnings_fields(warnings)}
        case CorrectConfirm(receipt, value, warnings):
            return {"receipt": receipt, "value": value, "warnings": list(warnings)}
        case _:  # the other steps hold texts only
            return {f.name: getattr(state, f.name) for f in fields(state)}


def _send_confirm(stored: Stored) -> SendConfirm:
    walk = read_walk(stored)
    return SendConfirm(walk, read_warnings(stored, walk))


_READERS: dict[str, Callable[[Stored], DialogState]] = {
    Menu.STEP: lambda s: Menu(),
    LinkNumber.STEP: lambda s: LinkNumber(),
    LinkSupplier.STEP: lambda s: LinkSupplier(text_of(s, "number")),
    LinkProof.STEP: lambda s: LinkProof(text_of(s, "number"), text_of(s, "supplier")),
    LinkConfirm.STEP: lambda s: LinkConfirm(
        text_of(s, "number"), text_of(s, "supplier"), text_of(s, "proof")
    ),
    Sending.STEP: lambda s: Sending(read_walk(s)),
    SendConfirm.STEP: _send_confirm,
    Correcting.STEP: lambda s: Correcting(text_of(s, "receipt")),
    CorrectConfirm.STEP: lambda s: CorrectConfirm(
        text_of(s, "receipt"), text_of(s, "value"), texts_of(s, "warnings")
    ),
}
