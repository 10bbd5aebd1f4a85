"""Webhooks out, as the Standard Webhooks specification has them (ADR 0017): the body posted
with ``webhook-id``, ``webhook-timestamp`` (seconds, now) and ``webhook-signature`` = ``v1,`` and
the base64 HMAC-SHA256 of ``id.timestamp.body`` keyed with the secret's bytes (``whsec_`` and
base64). httpx with a timeout; the receiver's faults are answers, never exceptions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import httpx

from komunalka.application.suppliers.feed_ports import WebhookAnswer

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's marker, not a secret


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header's value for one message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class HttpWebhookSender:
    """One pooled HTTP client per process; `timeout` seconds for the whole exchange."""

    def __init__(self, timeout: float = 10.0, client: httpx.AsyncClient | None = None) -> None:
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False
        )

    async def send(self, url: str, secret: str, event_id: str, body: bytes) -> WebhookAnswer:
        timestamp = int(time.time())  # real time: receivers compare it with their clocks
        headers = {
            "content-type": "application/json",
            "webhook-id": event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, event_id, timestamp, body),
            "user-agent": "komunalka-webhooks",
        }
        try:
            answer = await self._client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            return WebhookAnswer(False, "timeout")
        except (httpx.HTTPError, OSError) as exc:
            return WebhookAnswer(False, f"network: {type(exc).__name__}")
        if 200 <= answer.status_code < 300:
            return WebhookAnswer(True)
        return WebhookAnswer(False, f"HTTP {answer.status_code}")

    async def close(self) -> None:
        await self._client.aclose()
