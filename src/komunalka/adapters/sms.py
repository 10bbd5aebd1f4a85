"""SMS through an HTTP gateway: ``POST KOMUNALKA_SMS_URL`` with ``{"to": phone, "text": text}``
and the gateway's token as a Bearer token. The link of the notice follows its text.

2xx SENT; 429, 5xx, a network error or a timeout RETRY; 400 naming an invalid number DROPPED;
any other 4xx FAILED. Without a gateway, bootstrap sends SMS to the log (mail.LogNoticeSender).

Given a throttle, every send takes a place on ``sms:<digest of the gateway's address>`` (the
gateway's rate, KOMUNALKA_SMS_RATE, shared by every process through Redis), and a 429 pauses
that key for its Retry-After (a second when it gives none) for every sender, so the rest of a
round waits instead of being refused one by one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import httpx

from komunalka.application.notifications.channels import (
    Notice,
    Outcome,
    SendResult,
    SendThrottle,
)
from komunalka.application.shared.ports import OutgoingMessage

PAUSE_WITHOUT_RETRY_AFTER = 1.0


class HttpSmsGateway:
    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        token: str | None = None,
        throttle: SendThrottle | None = None,
    ) -> None:
        self._client = client
        self._url = url
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._throttle = throttle
        self.throttle_key = "sms:" + hashlib.sha256(url.encode()).hexdigest()[:12]

    async def send(self, notices: Sequence[Notice]) -> list[SendResult]:
        return [await self._throttled(notice) for notice in notices]

    async def _throttled(self, notice: Notice) -> SendResult:
        if self._throttle is None:
            return _result(await self._post(notice))
        await self._throttle.acquire(self.throttle_key)
        try:
            answer = await self._post(notice)
        finally:
            await self._throttle.release(self.throttle_key)
        result = _result(answer)
        if isinstance(answer, httpx.Response) and answer.status_code == 429:
            pause = result.retry_after or PAUSE_WITHOUT_RETRY_AFTER
            await self._throttle.pause(self.throttle_key, pause)
        return result

    async def _post(self, notice: Notice) -> httpx.Response | SendResult:
        """The gateway's answer, or the outcome when there was none."""
        text = f"{notice.text} {notice.link}" if notice.link else notice.text
        try:
            return await self._client.post(
                self._url, json={"to": notice.address, "text": text}, headers=self._headers
            )
        except httpx.TimeoutException as exc:
            return SendResult(Outcome.RETRY, f"timeout, fate unknown: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return SendResult(Outcome.RETRY, f"network: {type(exc).__name__}")


def _result(answer: httpx.Response | SendResult) -> SendResult:
    if isinstance(answer, SendResult):
        return answer
    status, detail = answer.status_code, answer.text[:200]
    if 200 <= status < 300:
        return SendResult(Outcome.SENT, detail)
    if status == 429 or status >= 500:
        retry_after = answer.headers.get("Retry-After")
        seconds = (
            float(retry_after)
            if retry_after and retry_after.isascii() and retry_after.isdecimal()
            else None
        )
        return SendResult(Outcome.RETRY, f"HTTP {status} {detail}", retry_after=seconds)
    if status == 400 and "invalid" in detail.lower() and "number" in detail.lower():
        return SendResult(Outcome.DROPPED, detail)
    return SendResult(Outcome.FAILED, f"HTTP {status} {detail}")


class SmsUndelivered(Exception):
    """The gateway did not take the message (the outbox records it and tries again later)."""


class SmsMessageSender:
    """The outbox's SMS (the SMS door's answers, phone codes) through the reminders' gateway:
    anything but SENT raises, so the outbox retries with its delay (ADR 0012)."""

    def __init__(self, gateway: HttpSmsGateway) -> None:
        self._gateway = gateway

    async def send(self, message: OutgoingMessage) -> None:
        (result,) = await self._gateway.send([Notice("sms", message.recipient, message.body)])
        if result.outcome is not Outcome.SENT:
            raise SmsUndelivered(f"{result.outcome.value}: {result.detail}")
