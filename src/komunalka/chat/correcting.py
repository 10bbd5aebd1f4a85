"""Correcting a reading in the chat while its window is open: pick one sent this period (by its
receipt), type the right value; warnings ask for a yes, as when sending."""

from __future__ import annotations

from typing import TYPE_CHECKING

from komunalka.application.readings.correct_reading import CorrectReadingRequest
from komunalka.application.readings.list_my_meters import PeriodStatus
from komunalka.chat.model import Button, Reply
from komunalka.domain.errors import DomainError, Severity
from komunalka.domain.values import format_value

if TYPE_CHECKING:
    from komunalka.chat.conversation import _Turn


class CorrectFlow:
    def __init__(self, turn: _Turn) -> None:
        self.t = turn
        self.s = turn.state

    async def choices(self) -> list[Reply]:
        meters = await self.t.c._uc.list_my_meters(self.t.identity.resident_id)
        buttons = []
        for m in meters:
            if m.status is not PeriodStatus.SENT:
                continue
            for zone, reading in m.last.items():
                value = format_value(reading.value, m.meter.decimals)
                label = f"№{m.meter.serial} {zone}: {value}"
                buttons.append(Button(label, f"fix:{reading.receipt}"))
        if not buttons:
            return [self.t.menu(self.t.say("chat.correct_none"))]
        return [Reply(self.t.say("chat.correct_which"), (*buttons, self.t.button("menu")))]

    def pick(self, action: str) -> list[Reply]:
        receipt = action.split(":", 1)[1]
        self.s.clear()
        self.s.update(step="correct", receipt=receipt)
        return [Reply(self.t.say("chat.correct_ask", receipt=receipt), (self.t.button("menu"),))]

    async def value(self, text: str, confirm: frozenset[str] = frozenset()) -> list[Reply]:
        receipt = self.s.get("receipt", "")
        request = CorrectReadingRequest(self.t.actor, receipt, text.strip(), confirm)
        try:
            result = await self.t.c._uc.correct_reading(request)
        except DomainError as exc:
            if all(v.severity is Severity.WARNING for v in exc.violations):
                self.s.update(
                    step="correct_confirm",
                    value=text.strip(),
                    warnings=sorted({v.code for v in exc.violations}),
                )
                buttons = (self.t.button("fixconfirm"), self.t.button("menu"))
                return [self.t.reply_error(exc), Reply(self.t.say("chat.send_confirm"), buttons)]
            return [self.t.reply_error(exc), Reply(self.t.say("chat.correct_ask", receipt=receipt))]
        (done,) = result.readings
        return [
            self.t.menu(self.t.say("chat.corrected", value=str(done.value), receipt=done.receipt))
        ]

    async def confirmed(self) -> list[Reply]:
        if self.s.get("step") != "correct_confirm":
            return [self.t.menu(self.t.say("chat.not_understood"))]
        return await self.value(self.s.get("value", ""), frozenset(self.s.get("warnings", [])))
