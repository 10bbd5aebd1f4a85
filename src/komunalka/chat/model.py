"""What a door hands the conversation and what it gets back."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EventKind(StrEnum):
    START = "start"  # /start, with a payload from a deep link when there is one
    TEXT = "text"
    BUTTON = "button"
    PHOTO = "photo"  # a picture sent: `photo` holds its bytes (empty when it could not be had)


@dataclass(frozen=True, slots=True)
class Event:
    """`language`: the messenger's language of the user (an IETF tag such as "en-GB"), when it
    tells one: a new resident is spoken to in it, if we speak it."""

    kind: EventKind
    value: str = ""
    language: str | None = None
    photo: bytes = b""


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: str


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    picture: bytes | None = None


@dataclass(frozen=True, slots=True)
class Contacts:
    """The other ways in, for help: from settings."""

    web_url: str
    phones: str


class TurnUnderWay(Exception):
    """The update's turn is being carried out by another call (its lease is live): the door
    answers so that the messenger delivers it again later (ADR 0015)."""
