"""A Telegram update (the Bot API's JSON, as a dict) → the conversation's event, or None.

Read by hand, as the Bot API documents it (https://core.telegram.org/bots/api#update): only the
fields the bot needs, checked for their types. Answered: a `message` from a user and a
`callback_query` with its data and message; a message's photo (its largest size) or an image
sent as a file is a PHOTO event whose bytes the door fetches (`Incoming.file_id`). Everything
else (edited messages, channel posts, a button of an inline message, a message with no sender)
is ignored, as it was with aiogram's models; a body with no integer `update_id` is not an update.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

from komunalka.chat.model import Event, EventKind


class NotAnUpdate(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Incoming:
    """What the door acts on: who wrote where, what, and the button press to answer."""

    update_id: int
    chat_id: int
    user_id: int
    name: str
    event: Event
    callback: str | None = None
    file_id: str | None = None  # a photo's, for the door to download (getFile)


def parse(payload: dict[str, Any]) -> Incoming | None:
    """The update's event for the bot, None for an update it ignores; `NotAnUpdate` for a body
    that is none."""
    update_id = payload.get("update_id")
    if not _is_int(update_id):
        raise NotAnUpdate("no integer update_id")
    query = payload.get("callback_query")
    if query is not None:
        return _pressed(update_id, _object(query))
    message = payload.get("message")
    if message is None:
        return None
    message = _object(message)
    user = message.get("from")
    if user is None:
        return None
    user_id, name, language = _user(user)
    file_id = _picture(message)
    if file_id is not None:
        event = Event(EventKind.PHOTO, "", language)
        return Incoming(update_id, _chat_id(message), user_id, name, event, file_id=file_id)
    text = message.get("text")
    if text is None:
        text = ""  # a photo or a sticker reads as empty text
    elif not isinstance(text, str):
        raise NotAnUpdate("a text that is not a string")
    if text.startswith("/start"):
        event = Event(EventKind.START, text.removeprefix("/start").strip(), language)
    else:
        event = Event(EventKind.TEXT, text, language)
    return Incoming(update_id, _chat_id(message), user_id, name, event)


def _picture(message: dict[str, Any]) -> str | None:
    """The file id of a photo's largest size, or of a document that is an image."""
    photo = message.get("photo")
    if isinstance(photo, list) and photo:
        sizes = [_object(p) for p in photo]
        largest = max(sizes, key=lambda p: _size(p.get("width")) * _size(p.get("height")))
        file_id = largest.get("file_id")
        if not isinstance(file_id, str):
            raise NotAnUpdate("a photo with no file id")
        return file_id
    document = message.get("document")
    if isinstance(document, dict) and str(document.get("mime_type", "")).startswith("image/"):
        file_id = document.get("file_id")
        return file_id if isinstance(file_id, str) else None
    return None


def _size(value: Any) -> int:
    return value if _is_int(value) else 0


def _pressed(update_id: int, query: dict[str, Any]) -> Incoming | None:
    query_id = query.get("id")
    if not isinstance(query_id, str):
        raise NotAnUpdate("a button press with no id")
    user_id, name, language = _user(query.get("from"))
    message, data = query.get("message"), query.get("data")
    if message is None or data is None:
        return None  # a button of an inline message, or a game's
    if not isinstance(data, str):
        raise NotAnUpdate("button data that is not a string")
    event = Event(EventKind.BUTTON, data, language)
    return Incoming(update_id, _chat_id(_object(message)), user_id, name, event, query_id)


def ignored_press(payload: dict[str, Any]) -> str | None:
    """The id of a button press the bot ignores (an inline message's, a game's), which is
    answered all the same: Telegram shows the pressed button as loading until it is."""
    query = payload.get("callback_query")
    query_id = query.get("id") if isinstance(query, dict) else None
    return query_id if isinstance(query_id, str) else None


def _user(value: Any) -> tuple[int, str, str | None]:
    """The user's id, full name (first and last, as aiogram's `full_name` had it) and language
    tag (`language_code`, when Telegram gives one)."""
    user = _object(value)
    user_id, first, last = user.get("id"), user.get("first_name"), user.get("last_name")
    if not _is_int(user_id) or not isinstance(first, str):
        raise NotAnUpdate("a user with no id or first name")
    if last is not None and not isinstance(last, str):
        raise NotAnUpdate("a last name that is not a string")
    language = user.get("language_code")
    if not isinstance(language, str):
        language = None  # optional in the Bot API: not known
    return user_id, f"{first} {last}" if last else first, language


def _chat_id(message: dict[str, Any]) -> int:
    chat_id = _object(message.get("chat")).get("id")
    if not _is_int(chat_id):
        raise NotAnUpdate("a chat with no integer id")
    return chat_id


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise NotAnUpdate("not an object")
    return value


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
