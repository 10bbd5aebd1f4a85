"""Account notices worded for people (application/accounts/ports.py, `AccountNotice`): someone
else linked the reader's account, someone removed the reader's link, a caretaker began or
ended. Each says who (masked), when (Kyiv time) and where to act: the cabinet's profile, and,
for a new link told in a messenger, the bot's own buttons (chat/sharing.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from komunalka.application.accounts.ports import AccountNotice, NoticeAddress
from komunalka.application.shared.ports import OutgoingMessage
from komunalka.i18n import translate

KYIV = ZoneInfo("Europe/Kyiv")
KINDS = ("new_link", "link_removed", "caretaker_started", "caretaker_ended")
# Where the reader is told in the bot itself, which lists and removes co-residents too.
MESSENGERS = ("telegram", "viber")


class AccountNoticeTexts:
    """`web_url`: the cabinet's public address; notices point to its profile page."""

    def __init__(self, web_url: str) -> None:
        self._profile = f"{web_url.rstrip('/')}/profile"

    def word(self, to: NoticeAddress, notice: AccountNotice) -> OutgoingMessage:
        if notice.kind not in KINDS:
            raise ValueError(f"unknown account notice: {notice.kind!r}")
        lang = to.language
        params = {
            "who": notice.who,
            "at": notice.at.astimezone(KYIV).strftime("%d.%m.%Y %H:%M"),
            "account": notice.account_number,
            "supplier": notice.supplier_name,
            "url": self._profile,
        }
        subject = translate(f"consent.{notice.kind}_subject", lang)
        body = translate(f"consent.{notice.kind}", lang, params)
        if notice.kind == "new_link" and to.channel in MESSENGERS:  # acting there needs no web
            path = {"meters": translate("chat.btn_meters", lang)}
            path["shared"] = translate("chat.btn_shared", lang)
            body += "\n" + translate("consent.new_link_in_bot", lang, path)
        return OutgoingMessage(to.channel, to.address, subject, body)
