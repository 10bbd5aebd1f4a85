"""Who else linked the resident's accounts, in the chat, and removing one they did not expect
(ADR 0024): what the cabinet's profile shows and does, for residents who only use the bot.

`shared`: each of the resident's accounts with the others linked to it (masked, since when) and
a button to remove each; `unshare:<account>:<resident>`: asks first, naming whom and from which
account; `unshareyes:<account>:<resident>`: removes the link (the removed resident is told and
the removal audited, as from the cabinet). Both buttons name what they act on, so one pressed on
an earlier message still does what it says, checked against who is linked now.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from komunalka.application.accounts.co_residents import CoResident, SharedAccount
from komunalka.chat.model import Button, Reply
from komunalka.chat.state import Menu
from komunalka.chat.turn import Turn
from komunalka.domain.ids import parse_id
from komunalka.domain.windows import DEFAULT_TIMEZONE
from komunalka.formats import day

KINDS = ("unshare", "unshareyes")


async def shared(t: Turn) -> list[Reply]:
    accounts = [s for s in await t.uses.co_residents(t.identity.resident_id) if s.others]
    t.state = Menu()
    if not accounts:
        return [t.menu(t.say("chat.shared_none"))]
    lines: list[str] = []
    buttons: list[Button] = []
    for s in accounts:
        lines += ["", f"{s.supplier_name} {s.account.number}", t.say("consent.also_linked")]
        for other in s.others:
            lines.append(
                "• " + t.say("consent.linked_since", who=other.masked_name, at=since(t, other))
            )
            label = t.say("chat.btn_unshare", who=other.masked_name, number=s.account.number)
            buttons.append(Button(label, f"unshare:{s.account.id}:{other.resident_id}"))
    return [Reply("\n".join(lines).strip(), (*buttons, t.button("menu")))]


async def unshare(t: Turn, action: str) -> list[Reply]:
    """`unshare:…` asks; `unshareyes:…` removes. Anyone not linked now is not understood."""
    found = await _found(t, action)
    if found is None:
        return [t.not_understood()]
    account, other = found
    t.state = Menu()
    if action.startswith("unshare:"):
        question = t.say(
            "consent.remove_question",
            who=other.masked_name,
            at=since(t, other),
            number=account.account.number,
            supplier=account.supplier_name,
        )
        yes = Button(
            t.say("consent.remove_yes"), f"unshareyes:{account.account.id}:{other.resident_id}"
        )
        return [Reply(f"{question}\n{t.say('consent.remove_note')}", (yes, t.button("menu")))]
    await t.uses.remove_co_resident(t.actor, account.account.id, other.resident_id)
    return [t.menu(t.say("consent.done_link_removed"))]


async def _found(t: Turn, action: str) -> tuple[SharedAccount, CoResident] | None:
    """The account and the other resident the button names, if both are linked to it now."""
    parts = action.split(":")
    if len(parts) != 3:
        return None
    account_id, other_id = parse_id(parts[1]), parse_id(parts[2])
    return await t.uses.co_residents.one(t.identity.resident_id, account_id, other_id)


def since(t: Turn, other: CoResident) -> str:
    """The day the other resident linked the account, in Kyiv, as the resident's language says
    a date."""
    return day(other.linked_at.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date(), t.lang)
