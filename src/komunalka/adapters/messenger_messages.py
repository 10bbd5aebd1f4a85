"""Outbox messages into a messenger (Telegram, Viber): the outbox's `MessageSender` over the
reminders' `NoticeSender` of that channel, so a message the worker delivers shares the bot's
throttle, its 429 pauses and its mapping of answers (telegram_notices.py, viber_notices.py).

Anything but "sent" raises, and the outbox retries it with its backoff (ADR 0012) until it
gives up; a send whose answer was lost (a timeout) may arrive twice, as every messenger send.
"""

from __future__ import annotations

from komunalka.application.notifications.channels import Notice, NoticeSender, Outcome
from komunalka.application.shared.ports import OutgoingMessage


class MessageNotSent(Exception):
    """The messenger did not take the message (the outcome and its detail)."""


class MessengerMessageSender:
    def __init__(self, notices: NoticeSender) -> None:
        self._notices = notices

    async def send(self, message: OutgoingMessage) -> None:
        notice = Notice(message.channel, message.recipient, message.body, subject=message.subject)
        (result,) = await self._notices.send([notice])
        if result.outcome is not Outcome.SENT:
            raise MessageNotSent(f"{result.outcome.value}: {result.detail}")
