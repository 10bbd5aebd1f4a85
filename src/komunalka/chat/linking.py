"""Linking an account in the chat: the number (the supplier follows from its format, or the
resident picks one), the proof, then the masked holder and address to confirm before the link
is made. Wrong proofs count against the limits at the proof step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from komunalka.application.accounts.link_account import LinkAccountRequest
from komunalka.chat.model import Button, Reply
from komunalka.domain.errors import DomainError

if TYPE_CHECKING:
    from komunalka.chat.conversation import _Turn


class LinkFlow:
    def __init__(self, turn: _Turn) -> None:
        self.t = turn
        self.s = turn.state

    def ask_number(self) -> list[Reply]:
        self.s.clear()
        self.s["step"] = "link_number"
        return [Reply(self.t.say("chat.link_ask_number"), (self.t.button("menu"),))]

    async def number(self, text: str) -> list[Reply]:
        number = "".join(text.split())
        suppliers = await self.t.c._uc.suppliers_for(number)
        if not suppliers:
            error = self.t.say("link.bad_number", number=number)
            return [Reply(error), *self.ask_number()]
        self.s.clear()
        self.s.update(number=number)
        if len(suppliers) > 1:
            self.s["step"] = "link_supplier"
            buttons = [Button(s.name, f"sup:{s.code}") for s in suppliers]
            return [
                Reply(self.t.say("chat.link_which_supplier"), (*buttons, self.t.button("menu")))
            ]
        return self.ask_proof(suppliers[0].code)

    def ask_proof(self, supplier: str) -> list[Reply]:
        self.s.update(step="link_proof", supplier=supplier)
        return [Reply(self.t.say("chat.link_ask_proof"), (self.t.button("menu"),))]

    def supplier(self, action: str) -> list[Reply]:
        if self.s.get("step") != "link_supplier":
            return [self.t.menu(self.t.say("chat.not_understood"))]
        return self.ask_proof(action.split(":", 1)[1])

    def request(self, check_only: bool) -> LinkAccountRequest:
        return LinkAccountRequest(
            self.t.actor,
            str(self.s.get("number", "")),
            supplier_code=self.s.get("supplier"),
            proof=str(self.s.get("proof", "")),
            check_only=check_only,
        )

    async def proof(self, text: str) -> list[Reply]:
        self.s["proof"] = text.strip()
        try:
            found = await self.t.c._uc.link_account(self.request(check_only=True))
        except DomainError as exc:
            if exc.code in ("link.not_matched", "link.surname_too_short", "link.proof_required"):
                return [self.t.reply_error(exc), *self.ask_proof(self.s.get("supplier", ""))]
            return [self.t.reply_error(exc), *self.ask_number()]
        if found.already_linked:
            text = self.t.say(
                "chat.link_already",
                supplier=found.supplier_name,
                holder=found.masked_holder,
                address=found.address,
            )
            return [self.t.menu(text)]
        self.s["step"] = "link_confirm"
        question = self.t.say(
            "chat.link_confirm",
            supplier=found.supplier_name,
            holder=found.masked_holder,
            address=found.address,
        )
        return [Reply(question, (self.t.button("linkyes"), self.t.button("menu")))]

    async def confirm(self) -> list[Reply]:
        if self.s.get("step") != "link_confirm":
            return [self.t.menu(self.t.say("chat.not_understood"))]
        done = await self.t.c._uc.link_account(self.request(check_only=False))
        text = self.t.say(
            "chat.link_done",
            supplier=done.supplier_name,
            holder=done.masked_holder,
            address=done.address,
        )
        return [self.t.menu(text)]
