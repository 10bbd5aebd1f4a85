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

Given a throttle, both senders take a place on ``email:<digest of the server's address>`` for
every message (the server's rate, KOMUNALKA_EMAIL_RATE, shared by every process through Redis, as
SMS are): a reminder round does not outrun what the relay accepts, and a password reset shares the
same limit. A 421 (the server is not taking mail now: how relays say "too fast") pauses that key
for every sender for PAUSE_ON_421 seconds; the rest of the batch is tried again later.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from komunalka.application.notifications.channels import (
    Notice,
    Outcome,
    SendResult,
    SendThrottle,
)
from komunalka.application.shared.ports import OutgoingMessage

log = logging.getLogger("komunalka.outbox")

# A 421 gives no time to wait: relays that send it for too many messages ask for minutes.
PAUSE_ON_421 = 60.0


class _SmtpServer:
    """Where and how to reach the SMTP server."""

    def __init__(
        self,
        url: str,
        sender: str,
        timeout: float = 10.0,
        throttle: SendThrottle | None = None,
        pause: float = PAUSE_ON_421,
    ) -> None:
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
        self.throttle = throttle
        self._pause = pause
        self.throttle_key = (
            "email:" + hashlib.sha256(f"{self._host}:{self._port}".encode()).hexdigest()[:12]
        )

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

    async def _acquire(self) -> None:
        if self.throttle is not None:
            await self.throttle.acquire(self.throttle_key)

    async def _release(self, code: int | None) -> None:
        """The message's place given back; a 421 pauses every sender on the server."""
        if self.throttle is None:
            return
        await self.throttle.release(self.throttle_key)
        if code == 421:
            await self.throttle.pause(self.throttle_key, self._pause)


class SmtpSender(_SmtpServer):
    async def send(self, message: OutgoingMessage) -> None:
        await self._acquire()
        code = None
        try:
            await asyncio.to_thread(self._send, message)
        except smtplib.SMTPResponseException as exc:
            code = exc.smtp_code
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0]
            raise
        finally:
            await self._release(code)

    def _send(self, message: OutgoingMessage) -> None:
        email = EmailMessage()
        email["From"] = self._from
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email.set_content(message.body)
        with self._connect() as smtp:
            smtp.send_message(email)


class SmtpNoticeSender(_SmtpServer):
    """One connection a batch, opened and used in worker threads; each message takes its place
    on the throttle in between, so the batch keeps to the server's rate."""

    async def send(self, notices: Sequence[Notice]) -> list[SendResult]:
        results: list[SendResult] = []
        try:
            smtp = await asyncio.to_thread(self._connect)
            try:
                for notice in notices:
                    await self._acquire()
                    code = None
                    try:
                        result, code = await asyncio.to_thread(self._send_one, smtp, notice)
                    finally:
                        await self._release(code)
                    results.append(result)
                    if code == 421:  # the server is closing the connection: the rest later
                        break
            finally:
                await asyncio.to_thread(_quit, smtp)
        except (OSError, smtplib.SMTPException) as exc:
            detail = f"connection: {type(exc).__name__}"
            results += [SendResult(Outcome.RETRY, detail)] * (len(notices) - len(results))
        if len(results) < len(notices):
            held = SendResult(Outcome.RETRY, "421: the server paused sending")
            results += [held] * (len(notices) - len(results))
        return results

    def _send_one(self, smtp: smtplib.SMTP, notice: Notice) -> tuple[SendResult, int | None]:
        """The message's outcome, and the server's reply code when it refused it."""
        try:
            smtp.send_message(self._email(notice))
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            outcome = Outcome.UNREACHABLE if code >= 500 else Outcome.RETRY
            return SendResult(outcome, f"{code} {reply.decode(errors='replace')}"), code
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code != 421:
                smtp.rset()
            outcome = Outcome.FAILED if exc.smtp_code >= 500 else Outcome.RETRY
            return SendResult(outcome, f"{exc.smtp_code} {exc.smtp_error!r}"), exc.smtp_code
        return SendResult(Outcome.SENT), None

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


def _quit(smtp: smtplib.SMTP) -> None:
    """Ends the session politely if the server is still there; closes the socket either way."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        pass
    finally:
        smtp.close()


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
