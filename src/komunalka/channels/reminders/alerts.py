"""Leak and anomaly notices worded for people (ADR 0025): which meter used how much this month
against its usual month (or the cap), that the reading was accepted all the same, what to check
(per service: taps, the cistern, the water heater for water), and a way to say "that's right":
a button that opens the link in the messengers, the link itself in e-mail and SMS."""

from __future__ import annotations

from collections.abc import Callable

from komunalka import formats
from komunalka.application.notifications.alerts import ClaimedAlert
from komunalka.application.notifications.channels import Notice
from komunalka.application.notifications.ports import Recipient
from komunalka.domain.consumption import OVER_USUAL
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.services import Service
from komunalka.i18n import translate

MESSENGERS = ("telegram", "viber")
SMS_LENGTH = 480  # three SMS segments of Cyrillic text at most


class AlertTexts:
    """`confirm_url(alert_id)`: the signed link that records "that's right"."""

    def __init__(self, confirm_url: Callable[[int], str]) -> None:
        self._confirm_url = confirm_url

    def alert_notice(self, alert: ClaimedAlert, recipient: Recipient) -> Notice:
        lang = recipient.language
        service = Service(alert.service)
        params = {
            "service": translate(f"service.{service.value}", lang),
            "serial": alert.serial,
            "account": alert.account_number,
            "month": formats.month(str(BillingPeriod.from_index(alert.period)), lang),
            "used": alert.used,
            "usual": alert.usual,
            "cap": alert.cap,
            "unit": translate(f"unit.{service.unit}", lang),
        }
        over = "alerts.over_usual" if alert.code == OVER_USUAL else "alerts.over_cap"
        lines = [
            translate(over, lang, params),
            translate("alerts.accepted", lang),
            translate(f"alerts.advice.{service.value}", lang),
        ]
        link = self._confirm_url(alert.id)
        subject = translate("alerts.subject", lang)
        if recipient.channel in MESSENGERS:
            label = translate("alerts.button_ok", lang)
            return Notice(
                recipient.channel,
                recipient.address,
                "\n".join(lines),
                subject,
                button=label,
                link=link,
            )
        text = "\n".join([*lines, "", translate("alerts.ok_link", lang, {"link": link})])
        if recipient.channel == "sms":
            text = text[:SMS_LENGTH]
        return Notice(recipient.channel, recipient.address, text, subject, link=link)
