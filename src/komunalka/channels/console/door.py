"""A terminal chat: lines in, replies out, buttons shown as numbers to type.

`/start` (with an optional payload, as a deep link would carry) starts over; a number picks one
of the buttons just shown; anything else is text for the conversation.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from komunalka.chat.conversation import Conversation
from komunalka.chat.model import Button, Event, EventKind, Reply
from komunalka.domain.ids import is_ascii_number

ReadLine = Callable[[], Awaitable[str | None]]


def render(replies: list[Reply]) -> tuple[str, tuple[Button, ...]]:
    """The replies as terminal text, and the buttons a number now picks. A picture is written to
    a temporary file, and its path shown."""
    parts: list[str] = []
    buttons: tuple[Button, ...] = ()
    for reply in replies:
        parts.append(reply.text)
        if reply.picture:
            with tempfile.NamedTemporaryFile(
                prefix="komunalka-chart-", suffix=".png", delete=False
            ) as image:
                image.write(reply.picture)
            parts.append(f"🖼 {Path(image.name)}")
        if reply.buttons:
            buttons = reply.buttons
            parts.append("  ".join(f"[{i}] {b.label}" for i, b in enumerate(buttons, 1)))
    return "\n".join(parts), buttons


def to_event(line: str, buttons: tuple[Button, ...]) -> Event:
    text = line.strip()
    if text.startswith("/start"):
        return Event(EventKind.START, text.removeprefix("/start").strip())
    if is_ascii_number(text) and len(text) <= 2 and 1 <= int(text) <= len(buttons):
        return Event(EventKind.BUTTON, buttons[int(text) - 1].action)
    return Event(EventKind.TEXT, text)


async def run(
    conversation: Conversation, user: str, name: str, read: ReadLine, write: Callable[[str], None]
) -> None:
    """Talks until the input ends."""
    text, buttons = render(await conversation.handle(user, name, Event(EventKind.START)))
    write(text)
    while (line := await read()) is not None:
        if not line.strip():
            continue
        text, shown = render(await conversation.handle(user, name, to_event(line, buttons)))
        buttons = shown or buttons
        write(text)
