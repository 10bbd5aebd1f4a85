"""Sending readings in the chat: every due meter and zone across the resident's accounts, one
question at a time; a meter is submitted as soon as all its zones are typed, so one meter's
problem never holds the others back.

State while sending: ``queue`` (what to ask: meter, zone, labels, previous value), ``pos`` (the
question now), ``values`` (the current meter's answers), ``done`` (receipts), ``notes`` (meters
skipped, closed or blocked), and in ``confirm`` the warnings waiting for a yes.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from komunalka.application.readings.list_my_meters import PeriodStatus
from komunalka.application.readings.submit_readings import ReadingItem, SubmitReadingsRequest
from komunalka.chat.model import Reply
from komunalka.domain.errors import DomainError, Severity
from komunalka.domain.values import format_value

if TYPE_CHECKING:
    from komunalka.chat.conversation import _Turn


class SendFlow:
    ACTIONS = ("unchanged", "skip", "confirm", "reenter")

    def __init__(self, turn: _Turn) -> None:
        self.t = turn
        self.s = turn.state

    async def on_button(self, action: str) -> list[Reply]:
        if action == "send":
            return await self.start()
        if self.s.get("step") == "confirm" and action in ("confirm", "reenter"):
            return await (self.submit(confirmed=True) if action == "confirm" else self.reenter())
        if self.s.get("step") != "send":
            return [self.t.menu(self.t.say("chat.not_understood"))]
        item = self.s["queue"][self.s["pos"]]
        if action == "skip":
            self.s["notes"].append(self.t.say("chat.send_skipped", serial=item["serial"]))
            return await self.next_meter(item["meter"])
        if action == "unchanged":
            if item["previous"] is None:
                return [Reply(self.t.say("chat.send_no_previous")), self.question()]
            return await self.answer(item["previous"])
        return [self.question()]

    async def on_text(self, text: str) -> list[Reply]:
        if self.s.get("step") == "confirm":
            return [Reply(self.t.say("chat.send_confirm_first")), self.confirm_question()]
        return await self.answer(text)

    async def start(self) -> list[Reply]:
        meters = await self.t.c._uc.list_my_meters(self.t.identity.resident_id)
        if not meters:
            return [self.t.menu(self.t.say("chat.no_accounts"))]
        queue: list[dict[str, Any]] = []
        notes: list[str] = []
        for m in meters:
            serial, service = m.meter.serial, self.t.say(f"service.{m.meter.service.value}")
            if m.status is PeriodStatus.DUE:
                for zone in m.meter.registers:
                    last = m.last.get(zone)
                    queue.append(
                        {
                            "meter": m.meter.id,
                            "zone": zone,
                            "serial": serial,
                            "service": service,
                            "single": len(m.meter.registers) == 1,
                            "decimals": m.meter.decimals,
                            "previous": format_value(last.value, m.meter.decimals)
                            if last
                            else None,
                            "period": str(last.period) if last else "",
                        }
                    )
            elif m.status is PeriodStatus.WINDOW_CLOSED:
                opens = m.opens_on.isoformat()
                notes.append(self.t.say("chat.send_closed", serial=serial, opens=opens))
            elif m.status is PeriodStatus.BLOCKED and m.blocked_code:
                reason = self.t.say(m.blocked_code, **m.blocked_params)
                notes.append(self.t.say("chat.send_blocked", serial=serial, reason=reason))
            else:
                notes.append(self.t.say("chat.send_already", serial=serial))
        self.s.clear()
        self.s.update(step="send", queue=queue, pos=0, values={}, done=[], notes=notes)
        if not queue:
            return [self.t.menu("\n".join([self.t.say("chat.send_none_due"), *notes]))]
        return [self.question()]

    def question(self) -> Reply:
        item = self.s["queue"][self.s["pos"]]
        zone = "" if item["single"] else self.t.say("chat.zone", zone=item["zone"])
        if item["previous"] is None:
            text = self.t.say(
                "chat.send_ask_first", service=item["service"], serial=item["serial"], zone=zone
            )
        else:
            text = self.t.say(
                "chat.send_ask",
                service=item["service"],
                serial=item["serial"],
                zone=zone,
                previous=item["previous"],
                period=item["period"],
            )
        buttons = (self.t.button("unchanged"), self.t.button("skip"), self.t.button("menu"))
        return Reply(text, buttons)

    async def answer(self, text: str) -> list[Reply]:
        item = self.s["queue"][self.s["pos"]]
        self.s["values"][item["zone"]] = text.strip()
        following = self.s["pos"] + 1
        if (
            following < len(self.s["queue"])
            and self.s["queue"][following]["meter"] == item["meter"]
        ):
            self.s["pos"] = following
            return [self.question()]
        return await self.submit(confirmed=False)

    async def submit(self, *, confirmed: bool) -> list[Reply]:
        item = self.s["queue"][self.s["pos"]]
        confirm = frozenset(self.s.get("warnings", [])) if confirmed else frozenset()
        items = [
            ReadingItem(item["meter"], value, zone, confirm)
            for zone, value in self.s["values"].items()
        ]
        # One key per attempt: a door that delivers the same message twice submits once.
        key = self.s.setdefault("key", secrets.token_hex(8))
        try:
            result = await self.t.c._uc.submit_readings(
                SubmitReadingsRequest(self.t.actor, items, f"chat-{key}")
            )
        except DomainError as exc:
            return self.refused(exc)
        self.s.pop("key", None)
        for r in result.readings:
            self.s["done"].append(
                self.t.say(
                    "chat.send_accepted",
                    serial=item["serial"],
                    zone=r.register,
                    value=format_value(r.value, item["decimals"]),
                    receipt=r.receipt,
                )
            )
        return await self.next_meter(item["meter"])

    def refused(self, exc: DomainError) -> list[Reply]:
        self.s.pop("key", None)
        if all(v.severity is Severity.WARNING for v in exc.violations):
            self.s["step"] = "confirm"
            self.s["warnings"] = sorted({v.code for v in exc.violations})
            return [self.t.reply_error(exc), self.confirm_question()]
        self.s["pos"] = self.first_of_meter()
        self.s["values"] = {}
        return [self.t.reply_error(exc), self.question()]

    def confirm_question(self) -> Reply:
        buttons = (self.t.button("confirm"), self.t.button("reenter"), self.t.button("menu"))
        return Reply(self.t.say("chat.send_confirm"), buttons)

    async def reenter(self) -> list[Reply]:
        self.s.update(step="send", pos=self.first_of_meter(), values={}, warnings=[])
        return [self.question()]

    def first_of_meter(self) -> int:
        meter = self.s["queue"][self.s["pos"]]["meter"]
        return next(i for i, q in enumerate(self.s["queue"]) if q["meter"] == meter)

    async def next_meter(self, meter: int) -> list[Reply]:
        queue = self.s["queue"]
        pos = next(
            (i for i, q in enumerate(queue) if i > self.s["pos"] and q["meter"] != meter), None
        )
        self.s.update(step="send", values={}, warnings=[])
        if pos is not None:
            self.s["pos"] = pos
            return [self.question()]
        summary = [self.t.say("chat.send_summary"), *self.s["done"], *self.s["notes"]]
        return [self.t.menu("\n".join(summary))]
