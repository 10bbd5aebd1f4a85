"""The pieces of a stored dialog state: the JSON object's type, the error a form that is not a
whole state raises, and the checked reading of its fields."""

from __future__ import annotations

from typing import Any

Stored = dict[str, Any]


class Unreadable(ValueError):
    """A stored state that is not a whole state of a known step."""


def text_of(stored: Stored, key: str) -> str:
    value = stored.get(key)
    if type(value) is not str:
        raise Unreadable(key)
    return value


def int_of(stored: Stored, key: str) -> int:
    value = stored.get(key)
    if type(value) is not int:
        raise Unreadable(key)
    return value


def texts_of(stored: Stored, key: str) -> tuple[str, ...]:
    """A list of texts; an absent one (left out when empty) is empty."""
    value = stored.get(key, [])
    if not isinstance(value, list) or not all(type(v) is str for v in value):
        raise Unreadable(key)
    return tuple(value)
