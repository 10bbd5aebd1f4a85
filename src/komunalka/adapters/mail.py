"""Message senders for the outbox: e-mail over SMTP, and a log for a local run.

`SmtpSender` speaks SMTP (smtplib, in a worker thread) to ``smtp://[user:password@]host[:port]``
(STARTTLS when the server offers it) or ``smtps://`` (TLS from the start). `LogSender` writes the
message to the service's log: what the embedded default does when no gateway is configured, so a
developer can follow a password reset link from the console.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from komunalka.application.shared.ports import OutgoingMessage

log = logging.getLogger("komunalka.outbox")


class SmtpSender:
    def __init__(self, url: str, sender: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("KOMUNALKA_SMTP_URL must look like smtp://host:port")
        self._tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = parts.port or (465 if self._tls else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._from = sender
        self._timeout = timeout

    async def send(self, message: OutgoingMessage) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: OutgoingMessage) -> None:
        email = EmailMessage()
        email["From"] = self._from
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email.set_content(message.body)
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self._tls:
            smtp = smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=context)
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        with smtp:
            if not self._tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
            if self._user:
                smtp.login(self._user, self._password or "")
            smtp.send_message(email)


class LogSender:
    async def send(self, message: OutgoingMessage) -> None:
        log.info(
            "%s to %s: %s\n%s", message.channel, message.recipient, message.subject, message.body
        )
