"""Reminders worded for people: what is due per supplier with its last day, or which meter's
verification is near or past, in the recipient's language. Messengers get a button that opens
the sending round in the bot; e-mail and SMS a link to the cabinet's readings page (and e-mail a
one-click way out, RFC 8058)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from komunalka.application.notifications.channels import Notice
from komunalka.application.notifications.ports import DueSupplier, LinkedMeter, Recipient
from komunalka.domain.reminders import RuleKind
from komunalka.i18n import translate

MESSENGERS = ("telegram", "viber")
SMS_LENGTH = 480  # three SMS segments of Cyrillic text at most


def _day(value: date) -> str:
    return value.strftime("%d.%m.%Y")


class ReminderTexts:
    """`web_url`: the cabinet's public address; `unsubscribe_url(resident_id)`: a link that
    turns the resident's reminders off in one click (e-mail only)."""

    def __init__(self, web_url: str, unsubscribe_url: Callable[[int], str] | None = None) -> None:
        self._web_url = web_url.rstrip("/")
        self._unsubscribe_url = unsubscribe_url

    def window_notice(self, recipient: Recipient, due: list[DueSupplier]) -> Notice:
        lang = recipient.language
        lines = [translate("reminders.window_intro", lang)]
        for supplier in due:
            lines.append(
                translate(
                    "reminders.window_supplier",
                    lang,
                    {"supplier": supplier.supplier_name, "last_day": _day(supplier.last_day)},
                )
            )
            if recipient.channel != "sms":  # an SMS names the suppliers only: it must stay short
                lines.extend(self._meter_line(meter, lang) for meter in supplier.meters)
        subject = translate("reminders.window_subject", lang)
        return self._notice(recipient, subject, lines)

    def verification_notice(
        self, recipient: Recipient, kind: RuleKind, meters: list[LinkedMeter]
    ) -> Notice:
        lang = recipient.language
        soon = kind is RuleKind.VERIFICATION_SOON
        intro = "reminders.verification_soon" if soon else "reminders.verification_overdue"
        lines = [translate(intro, lang)]
        for meter in meters:
            assert meter.verification_due is not None
            params = {
                "service": translate(f"service.{meter.service}", lang),
                "serial": meter.serial,
                "supplier": meter.supplier_name,
                "due": _day(meter.verification_due),
            }
            lines.append(translate("reminders.verification_meter", lang, params))
        lines.append(translate("reminders.verification_what_to_do", lang))
        subject = translate("reminders.verification_subject", lang)
        return self._notice(recipient, subject, lines, button=False)

    def _meter_line(self, meter: LinkedMeter, lang: str) -> str:
        params = {
            "service": translate(f"service.{meter.service}", lang),
            "serial": meter.serial,
            "account": meter.account_number,
        }
        line = translate("reminders.window_meter", lang, params)
        if meter.water_heater:
            line += " " + translate("reminders.water_heater_note", lang)
        return line

    def _notice(
        self, recipient: Recipient, subject: str, lines: list[str], *, button: bool = True
    ) -> Notice:
        lang = recipient.language
        channel = recipient.channel
        if channel in MESSENGERS:
            label = translate("chat.btn_send", lang) if button else ""
            return Notice(
                channel,
                recipient.address,
                "\n".join(lines),
                subject,
                button=label,
                action="send" if button else "",
            )
        link = f"{self._web_url}/readings"
        text = "\n".join([*lines, "", translate("reminders.link", lang, {"link": link})])
        if channel == "sms":
            text = text[:SMS_LENGTH]
            return Notice(channel, recipient.address, text, subject, link=link)
        unsubscribe = self._unsubscribe_url(recipient.resident_id) if self._unsubscribe_url else ""
        if unsubscribe:
            text += "\n\n" + translate("reminders.unsubscribe", lang, {"link": unsubscribe})
        return Notice(
            channel, recipient.address, text, subject, link=link, unsubscribe_url=unsubscribe
        )
