"""Message senders for the outbox: e-mail over SMTP, and a log for a local run.

`SmtpSender` speaks SMTP (smtplib, in a worker thread) to ``smtp://[user:password@]host[:port]``
(STARTTLS when the server offers it) or ``smtps://`` (TLS from the start). `LogSender` writes the
message to the service's log: what the embedded default does when no gateway is configured, so a
developer can follow a password reset link from the console.

`SmtpNoticeSender` sends reminders (`Notice`s) over the same server, one connection a batch:
subject, the text with the link below it, and ``List-Unsubscribe`` with
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058) when the notice has an
unsubscribe address. A 5xx refusal of the recipient is UNREACHABLE (a hard bounce), a 4xx, a lost
connection or a timeout RETRY, any other 5xx FAILED. `LogNoticeSender` writes notices to the log.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from komunalka.application.notifications.channels import Notice, Outcome, SendResult
from komunalka.application.shared.ports import OutgoingMessage

log = logging.getLogger("komunalka.outbox")


class _SmtpServer:
    """Where and how to reach the SMTP server."""

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

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self._tls:
            smtp = smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=context)
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        try:
            if not self._tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
            if self._user:
                smtp.login(self._user, self._password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


class SmtpSender(_SmtpServer):
    async def send(self, message: OutgoingMessage) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: OutgoingMessage) -> None:
        email = EmailMessage()
        email["From"] = self._from
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email.set_content(message.body)
        with self._connect() as smtp:
            smtp.send_message(email)


class SmtpNoticeSender(_SmtpServer):
    async def send(self, notices: Sequence[Notice]) -> list[SendResult]:
        return await asyncio.to_thread(self._send_all, notices)

    def _send_all(self, notices: Sequence[Notice]) -> list[SendResult]:
        results: list[SendResult] = []
        try:
            with self._connect() as smtp:
                for notice in notices:
                    results.append(self._send_one(smtp, notice))
        except (OSError, smtplib.SMTPException) as exc:
            detail = f"connection: {type(exc).__name__}"
            results += [SendResult(Outcome.RETRY, detail)] * (len(notices) - len(results))
        return results

    def _send_one(self, smtp: smtplib.SMTP, notice: Notice) -> SendResult:
        try:
            smtp.send_message(self._email(notice))
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            outcome = Outcome.UNREACHABLE if code >= 500 else Outcome.RETRY
            return SendResult(outcome, f"{code} {reply.decode(errors='replace')}")
        except smtplib.SMTPResponseException as exc:
            smtp.rset()
            outcome = Outcome.FAILED if exc.smtp_code >= 500 else Outcome.RETRY
            return SendResult(outcome, f"{exc.smtp_code} {exc.smtp_error!r}")
        return SendResult(Outcome.SENT)

    def _email(self, notice: Notice) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self._from
        email["To"] = notice.address
        email["Subject"] = notice.subject
        if notice.unsubscribe_url:
            email["List-Unsubscribe"] = f"<{notice.unsubscribe_url}>"
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email.set_content(f"{notice.text}\n\n{notice.link}" if notice.link else notice.text)
        return email


class LogSender:
    async def send(self, message: OutgoingMessage) -> None:
        log.info(
            "%s to %s: %s\n%s", message.channel, message.recipient, message.subject, message.body
        )


class LogNoticeSender:
    """Writes notices to the service's log (a local run, with no gateway configured)."""

    async def send(self, notices: Sequence[Notice]) -> list[SendResult]:
        for notice in notices:
            log.info(
                "%s to %s: %s\n%s %s",
                notice.channel,
                notice.address,
                notice.subject,
                notice.text,
                notice.link,
            )
        return [SendResult(Outcome.SENT, "logged") for _ in notices]
