"""Linking an account in the chat: the number (the supplier follows from its format, or the
resident picks one), the proof, then the masked holder and address to confirm before the link
is made. Wrong proofs count against the limits at the proof step."""

from __future__ import annotations

from komunalka.application.accounts.link_account import RESIDENT_WINDOW, LinkAccountRequest
from komunalka.chat.model import Button, Reply
from komunalka.chat.state import LinkConfirm, LinkNumber, LinkProof, LinkSupplier
from komunalka.chat.turn import Turn
from komunalka.domain.errors import DomainError

# A proof the account refused: ask for it again (any other refusal starts from the number).
RETRY_PROOF = ("link.not_matched", "link.surname_too_short", "link.proof_required")


def ask_number(t: Turn) -> list[Reply]:
    t.state = LinkNumber()
    return [Reply(t.say("chat.link_ask_number"), (t.button("menu"),))]


async def number(t: Turn, text: str) -> list[Reply]:
    typed = "".join(text.split())
    suppliers = await t.uses.suppliers_for(typed)
    if not suppliers:
        return [Reply(t.say("link.bad_number", number=typed)), *ask_number(t)]
    if len(suppliers) > 1:
        t.state = LinkSupplier(typed)
        buttons = [Button(s.name, f"sup:{s.code}") for s in suppliers]
        return [Reply(t.say("chat.link_which_supplier"), (*buttons, t.button("menu")))]
    return ask_proof(t, typed, suppliers[0].code)


def ask_proof(t: Turn, typed: str, supplier: str) -> list[Reply]:
    t.state = LinkProof(typed, supplier)
    return [Reply(t.say("chat.link_ask_proof"), (t.button("menu"),))]


def supplier(t: Turn, action: str) -> list[Reply]:
    if not isinstance(t.state, LinkSupplier):
        return [t.not_understood()]
    return ask_proof(t, t.state.number, action.split(":", 1)[1])


def request(t: Turn, state: LinkConfirm, *, check_only: bool) -> LinkAccountRequest:
    return LinkAccountRequest(
        t.actor,
        state.number,
        supplier_code=state.supplier,
        proof=state.proof,
        check_only=check_only,
    )


async def proof(t: Turn, state: LinkProof, text: str) -> list[Reply]:
    asked = LinkConfirm(state.number, state.supplier, text.strip())
    try:
        found = await t.uses.link_account(request(t, asked, check_only=True))
    except DomainError as exc:
        if locked_out(exc):  # no attempt left: nothing to ask for, back to the menu
            return [t.menu(locked_out_text(t, exc))]
        if exc.code in RETRY_PROOF:
            return [t.reply_error(exc), *ask_proof(t, state.number, state.supplier)]
        return [t.reply_error(exc), *ask_number(t)]
    where = {"supplier": found.supplier_name, "holder": found.masked_holder}
    if found.already_linked:
        return [t.menu(t.say("chat.link_already", address=found.address, **where))]
    t.state = asked
    question = t.say("chat.link_confirm", address=found.address, **where)
    return [Reply(question, (t.button("linkyes"), t.button("menu")))]


def locked_out(exc: DomainError) -> bool:
    """The refusal leaves no attempt: the limit is reached, or this was the last one."""
    code, params = exc.code, exc.violations[0].params
    return code == "link.too_many_attempts" or (
        code == "link.not_matched" and params.get("attempts_left") == "0"
    )


def locked_out_text(t: Turn, exc: DomainError) -> str:
    if exc.code == "link.too_many_attempts":
        return t.reply_error(exc).text
    minutes = int(RESIDENT_WINDOW.total_seconds() // 60)
    return t.say("chat.link_no_attempts_left", minutes=minutes)


async def confirm(t: Turn) -> list[Reply]:
    if not isinstance(t.state, LinkConfirm):
        return [t.not_understood()]
    done = await t.uses.link_account(request(t, t.state, check_only=False))
    where = {"supplier": done.supplier_name, "holder": done.masked_holder}
    return [t.menu(t.say("chat.link_done", address=done.address, **where))]
