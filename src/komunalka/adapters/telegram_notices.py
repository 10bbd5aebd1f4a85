"""Notices through the Telegram Bot API's `sendMessage`, throttled and fault-mapped.

Each notice takes a slot of its chat (``telegram-chat:<id>``, one a second) and then one of the
bot (``telegram:<digest>``) from the shared `SendThrottle`, so every process sending on the token
stays under the bot's limit. Sends of one batch run concurrently (real round trips are slow), as
many at once as the throttle lets through. A 429 pauses the token for every sender sharing the
throttle for its `retry_after` and the notice goes again after the pause, a few times at most.

How answers map (DOMAIN.md, "Reminders in practice"): 2xx sent; 429 paused and repeated, then
RETRY; 5xx, a network error or a timeout RETRY (after a timeout the message may have arrived);
403 ("bot was blocked by the user") UNREACHABLE; 400 "chat not found" DROPPED; other 4xx FAILED.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx

from komunalka.application.notifications.channels import (
    Notice,
    Outcome,
    SendResult,
    SendThrottle,
    token_key,
)

MISSING_CHAT = ("chat not found", "user not found", "peer_id_invalid")


class TelegramNoticeSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        token: str,
        throttle: SendThrottle,
        *,
        concurrency: int = 50,
        max_pauses: int = 3,
    ) -> None:
        self._client = client
        self._path = f"/bot{token}/sendMessage"
        self._key = token_key("telegram", token)
        self._throttle = throttle
        self._concurrency = concurrency
        self._max_pauses = max_pauses

    @property
    def throttle_key(self) -> str:
        return self._key

    async def send(self, notices: Sequence[Notice]) -> list[SendResult]:
        gate = asyncio.Semaphore(self._concurrency)

        async def one(notice: Notice) -> SendResult:
            async with gate:
                return await self._send_one(notice)

        return list(await asyncio.gather(*(one(n) for n in notices)))

    async def _send_one(self, notice: Notice) -> SendResult:
        payload = _payload(notice)
        retry_after = 0.0
        for _ in range(self._max_pauses + 1):
            chat = f"telegram-chat:{notice.address}"
            await self._throttle.acquire(chat)
            await self._throttle.acquire(self._key)
            try:
                answer = await self._client.post(self._path, json=payload)
            except httpx.TimeoutException as exc:
                return SendResult(Outcome.RETRY, f"timeout, fate unknown: {type(exc).__name__}")
            except httpx.HTTPError as exc:
                return SendResult(Outcome.RETRY, f"network: {type(exc).__name__}")
            finally:
                await self._throttle.release(self._key)
                await self._throttle.release(chat)
            body = _body(answer)
            if answer.status_code != 429:
                return _result(answer.status_code, body)
            retry_after = _retry_after(body)
            await self._throttle.pause(self._key, retry_after)
        return SendResult(Outcome.RETRY, "Too Many Requests", retry_after=retry_after)


def _payload(notice: Notice) -> dict[str, Any]:
    payload: dict[str, Any] = {"chat_id": notice.address, "text": notice.text}
    if notice.button:
        button = {"text": notice.button, "callback_data": notice.action or notice.button}
        if notice.link and not notice.action:  # a button that opens the notice's link
            button = {"text": notice.button, "url": notice.link}
        payload["reply_markup"] = {"inline_keyboard": [[button]]}
    return payload


def _body(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(body: dict[str, Any]) -> float:
    parameters = body.get("parameters") or {}
    try:
        return max(float(parameters.get("retry_after", 1)), 0.0)
    except (TypeError, ValueError):
        return 1.0


def _result(status: int, body: dict[str, Any]) -> SendResult:
    detail = str(body.get("description", ""))
    if 200 <= status < 300 and body.get("ok", True):
        message = body.get("result")
        return SendResult(
            Outcome.SENT, str(message.get("message_id", "")) if isinstance(message, dict) else ""
        )
    if status >= 500:
        return SendResult(Outcome.RETRY, f"HTTP {status} {detail}".strip())
    if status == 403:
        return SendResult(Outcome.UNREACHABLE, detail)
    if status == 400 and any(words in detail.lower() for words in MISSING_CHAT):
        return SendResult(Outcome.DROPPED, detail)
    return SendResult(Outcome.FAILED, f"HTTP {status} {detail}".strip())
