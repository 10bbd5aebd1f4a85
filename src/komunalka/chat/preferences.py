"""The resident's settings in the chat: the language and reminders."""

from __future__ import annotations

from komunalka.chat.model import Button, Reply
from komunalka.chat.state import Menu
from komunalka.chat.turn import Turn


def settings(t: Turn) -> Reply:
    t.state = Menu()
    text = t.say(
        "chat.settings",
        language=t.say(f"chat.language_{t.lang}"),
        reminders=t.say("chat.on" if t.identity.reminders else "chat.off"),
    )
    buttons = (
        Button("Українська", "lang:uk"),
        Button("English", "lang:en"),
        t.button("reminders"),
        t.button("menu"),
    )
    return Reply(text, buttons)


async def change(t: Turn, action: str) -> list[Reply]:
    """`reminders` turns them on or off; `lang:<code>` picks the language. The turn remembers
    the identity the change returns, so the next turn needs no lookup."""
    channel, user = t.setting.channel, t.identity.external_id
    if action == "reminders":
        changed = await t.uses.update_preferences(channel, user, reminders=not t.identity.reminders)
    else:
        changed = await t.uses.update_preferences(channel, user, language=action.split(":", 1)[1])
    t.identity = changed
    return [settings(t)]
