"""One inbound SMS turned into a submission and an answer, in the sender's language.

An unknown number is told how to link it; an account that is not among the sender's is refused
with the same words whether it exists or not; a malformed text gets the syntax. The gateway's
message id is the submission's client key, so a retried callback stores nothing twice, and the
answer is written once per id (ReplyBySms).
"""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.application.readings.judging import ReadingItem
from komunalka.application.readings.list_my_meters import MeterOverview
from komunalka.application.readings.submit_readings import (
    SubmitReadingsRequest,
    SubmitReadingsResult,
)
from komunalka.application.shared.actors import Actor
from komunalka.channels.sms.use_cases import SmsUseCases
from komunalka.domain.errors import DomainError, Severity
from komunalka.domain.services import Channel
from komunalka.domain.sms import SmsReading, parse_sms_reading
from komunalka.formats import reading as written
from komunalka.i18n import DEFAULT_LANGUAGE, translate

SMS_LENGTH = 480  # three SMS segments of Cyrillic text at most


class SmsDoor:
    def __init__(self, use_cases: SmsUseCases, web_url: str) -> None:
        self._uc = use_cases
        self._web_url = web_url.rstrip("/")

    async def receive(self, gateway_id: str, phone: str, text: str) -> None:
        """Answers the message once (a repeat of its id changes nothing)."""
        if await self._uc.reply_by_sms.answered(gateway_id):
            return
        answer = await self._answer(gateway_id, phone, text)
        await self._uc.reply_by_sms(gateway_id, phone, answer[:SMS_LENGTH])

    async def _answer(self, gateway_id: str, phone: str, text: str) -> str:
        owner = await self._uc.resident_by_phone(phone)
        if owner is None:
            return translate("sms.unknown_phone", DEFAULT_LANGUAGE, {"link": self._profile})
        lang = owner.language
        command = parse_sms_reading(text[:200])
        if command is None:
            return translate("sms.syntax", lang)
        meter = await self._meter(owner.resident_id, command)
        if meter is None:
            return translate("sms.not_yours", lang, {"account": command.account})
        if isinstance(meter, Unsettled):
            return _unsettled(meter, command, lang, self._readings)
        actor = Actor.resident(owner.resident_id, Channel.SMS)
        try:
            result = await self._uc.submit_readings(
                SubmitReadingsRequest(actor, _items(meter, command), f"sms:{gateway_id}")
            )
        except DomainError as error:
            return _refusal(error, lang)
        return _accepted(meter, command, result, lang)

    @property
    def _profile(self) -> str:
        return f"{self._web_url}/profile"

    @property
    def _readings(self) -> str:
        return f"{self._web_url}/readings"

    async def _meter(
        self, resident_id: int, command: SmsReading
    ) -> MeterOverview | Unsettled | None:
        """The one meter of the sender's account (ending with the serial's end they named, if
        they named one) that takes this many values; None when the account is not theirs; why
        not, when no one meter is meant."""
        mine = [
            m
            for m in await self._uc.list_my_meters(resident_id)
            if m.account.number == command.account
        ]
        if not mine:
            return None
        named = mine
        if command.meter is not None:
            named = [m for m in mine if m.meter.serial.endswith(command.meter)]
            if not named:
                return Unsettled("sms.no_such_meter", mine)
        fitting = [m for m in named if len(m.meter.zones) == len(command.values)]
        open_ = [m for m in fitting if m.blocked_code is None]
        if len(open_) == 1:
            return open_[0]
        if len(open_) > 1:
            return Unsettled("sms.several_meters", open_)
        if fitting:
            return fitting[0]  # its refusal says why (verification overdue, ...)
        return Unsettled("sms.zones_mismatch", named)


@dataclass(frozen=True, slots=True)
class Unsettled:
    """Why an SMS means no one meter (`code`), and the meters it could mean (`among`)."""

    code: str
    among: list[MeterOverview]


def _unsettled(found: Unsettled, command: SmsReading, lang: str, link: str) -> str:
    ends = serial_ends([m.meter.serial for m in found.among])
    meters = ", ".join(
        f"{translate(f'service.{m.meter.service.value}', lang)} №{end}"
        for m, end in zip(found.among, ends, strict=True)
    )
    example = f"{command.account} №{ends[0]} {' '.join(command.values)}"
    params = {"account": command.account, "meters": meters, "example": example, "link": link}
    return translate(found.code, lang, {**params, "meter": command.meter or ""})


def serial_ends(serials: list[str], shortest: int = 4) -> list[str]:
    """The serials' ends, each as short as tells them apart (at least `shortest` characters,
    or the whole serial): what a sender types after ``№``."""
    for n in range(shortest, max(map(len, serials), default=0) + 1):
        ends = [s[-n:] for s in serials]
        if len(set(ends)) == len(ends):
            return ends
    return list(serials)


def _items(meter: MeterOverview, command: SmsReading) -> list[ReadingItem]:
    confirm = frozenset({"reading.jump", "reading.rollover"}) if command.confirmed else frozenset()
    zones = meter.meter.zones
    if len(zones) == 1:
        return [ReadingItem(meter.meter.id, command.values[0], confirm=confirm)]
    return [
        ReadingItem(meter.meter.id, value, register=zone, confirm=confirm)
        for zone, value in zip(zones, command.values, strict=True)
    ]


def _refusal(error: DomainError, lang: str) -> str:
    lines = [translate(v.code, lang, v.params) for v in error.violations]
    if all(v.severity is Severity.WARNING for v in error.violations):
        lines.append(translate("sms.confirm_hint", lang))
    return "\n".join(lines)


def _accepted(
    meter: MeterOverview, command: SmsReading, result: SubmitReadingsResult, lang: str
) -> str:
    values = ", ".join(written(r.value, meter.meter.decimals, lang) for r in result.readings)
    receipts = ", ".join(sorted({r.receipt for r in result.readings}))
    params = {
        "account": command.account,
        "service": translate(f"service.{meter.meter.service.value}", lang),
        "values": values,
        "receipt": receipts,
    }
    return translate("sms.accepted", lang, params)
