"""Notices through the Viber REST bot API: `send_message`, or `broadcast_message` for notices that
share their text and button (up to 300 receivers a call), throttled on ``viber:<digest>``
(Viber allows 500 calls per 10 s per bot).

Viber answers HTTP 200 with a `status` (its documented codes): 0 ok → SENT; 6
receiverNotSubscribed → UNREACHABLE (the person left the bot); 5 receiverNotRegistered (the
receiver is not found) → DROPPED; 12 tooManyRequests and the general errors above 24 → RETRY, as
are HTTP 5xx, network errors and timeouts; anything else (a bad token, a blocked account, bad
data) → FAILED. A broadcast's `failed_list` carries the same per receiver. `billing_status` (5: a
charged message outside a session) is kept on every result: Viber reminders cost money.
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

BROADCAST_MAX = 300
SENDER = {"name": "Komunalka"}


class ViberNoticeSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        token: str,
        throttle: SendThrottle,
        concurrency: int = 20,
        *,
        action_prefix: str = "",
    ) -> None:
        """`action_prefix` marks a button's ActionBody as the bot door's own (the Viber door
        takes a typed text starting with it for a button press)."""
        self._client = client  # its base URL is the API's, its headers carry X-Viber-Auth-Token
        self._prefix = action_prefix
        self._key = token_key("viber", token)
        self._throttle = throttle
        self._gate = asyncio.Semaphore(concurrency)

    async def send(self, notices: Sequence[Notice]) -> list[SendResult]:
        groups: dict[tuple[str, str, str, str], list[int]] = {}
        for i, notice in enumerate(notices):
            groups.setdefault((notice.text, notice.button, notice.action, notice.link), []).append(
                i
            )
        results: list[SendResult] = [SendResult(Outcome.FAILED)] * len(notices)
        calls = []
        for indexes in groups.values():
            for start in range(0, len(indexes), BROADCAST_MAX):
                calls.append(self._call(notices, indexes[start : start + BROADCAST_MAX], results))
        await asyncio.gather(*calls)
        return results

    async def _call(
        self, notices: Sequence[Notice], indexes: list[int], results: list[SendResult]
    ) -> None:
        first = notices[indexes[0]]
        message = _message(first, self._prefix)
        if len(indexes) == 1:
            method, message["receiver"] = "send_message", first.address
        else:
            method = "broadcast_message"
            message["broadcast_list"] = [notices[i].address for i in indexes]
        async with self._gate:
            body, transport = await self._post(method, message)
        if transport is not None:
            for i in indexes:
                results[i] = transport
            return
        billing = body.get("billing_status")
        billing = billing if isinstance(billing, int) else None
        overall = _result(body.get("status"), str(body.get("status_message", "")), billing)
        failed = {
            str(entry.get("receiver")): entry
            for entry in body.get("failed_list") or []
            if isinstance(entry, dict)
        }
        for i in indexes:
            entry = failed.get(notices[i].address)
            if entry is None or overall.outcome is not Outcome.SENT:
                results[i] = overall
            else:
                results[i] = _result(
                    entry.get("status"), str(entry.get("status_message", "")), billing
                )

    async def _post(
        self, method: str, message: dict[str, Any]
    ) -> tuple[dict[str, Any], SendResult | None]:
        await self._throttle.acquire(self._key)
        try:
            answer = await self._client.post(f"/pa/{method}", json=message)
        except httpx.TimeoutException as exc:
            return {}, SendResult(Outcome.RETRY, f"timeout, fate unknown: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return {}, SendResult(Outcome.RETRY, f"network: {type(exc).__name__}")
        finally:
            await self._throttle.release(self._key)
        if answer.status_code >= 500 or answer.status_code == 429:
            return {}, SendResult(Outcome.RETRY, f"HTTP {answer.status_code}")
        try:
            body = answer.json()
        except ValueError:
            return {}, SendResult(Outcome.FAILED, f"HTTP {answer.status_code}, not JSON")
        if answer.status_code >= 400 or not isinstance(body, dict):
            return {}, SendResult(Outcome.FAILED, f"HTTP {answer.status_code}")
        return body, None


def _message(notice: Notice, prefix: str = "") -> dict[str, Any]:
    message: dict[str, Any] = {
        "sender": SENDER,
        "type": "text",
        "text": notice.text,
        "min_api_version": 3,
    }
    if notice.button:
        button = {
            "Columns": 6,
            "Rows": 1,
            "ActionType": "reply",
            "ActionBody": prefix + (notice.action or notice.button),
            "Text": notice.button,
        }
        if notice.link and not notice.action:  # a button that opens the notice's link
            button.update({"ActionType": "open-url", "ActionBody": notice.link})
        message["keyboard"] = {"Type": "keyboard", "DefaultHeight": False, "Buttons": [button]}
    return message


def _result(status: object, detail: str, billing: int | None) -> SendResult:
    words = detail.lower().replace(" ", "")
    if status == 0:
        outcome = Outcome.SENT
    elif status == 6 or "notsubscribed" in words:
        outcome = Outcome.UNREACHABLE
    elif status == 5 or "notfound" in words or "notregistered" in words:
        outcome = Outcome.DROPPED
    elif status == 12 or (isinstance(status, int) and status > 24):
        outcome = Outcome.RETRY
    else:
        outcome = Outcome.FAILED
    return SendResult(outcome, detail, billing_status=billing)
