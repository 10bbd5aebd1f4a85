"""Webhooks out, as the Standard Webhooks specification has them (ADR 0017): the body posted
with ``webhook-id``, ``webhook-timestamp`` (seconds, now) and ``webhook-signature`` = ``v1,`` and
the base64 HMAC-SHA256 of ``id.timestamp.body`` keyed with the secret's bytes (``whsec_`` and
base64). httpx with a timeout; the receiver's faults are answers, never exceptions.

Unless private addresses are allowed, the host is resolved first and every address it has must
be public (`domain.addresses`); the request then goes to the address that was checked, with
the name kept in ``Host`` and in TLS's SNI and certificate check, so a name that resolves
differently the second time (DNS rebinding) cannot reach the service's own network."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import httpx

from komunalka.application.suppliers.feed_ports import WebhookAnswer
from komunalka.domain.addresses import public_address

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's marker, not a secret


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header's value for one message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class PrivateAddress(Exception):
    """The receiver's host resolved to an address the service may not call."""


class HttpWebhookSender:
    """One HTTP client per process; `timeout` seconds for the whole exchange.

    `private_addresses`: call any address (development, tests, a receiver on the internal
    network). Otherwise each send resolves the host and calls the checked address, on a fresh
    connection (a pooled one was opened for another name's certificate); `allowed` judges the
    resolved addresses (public ones by default)."""

    def __init__(
        self,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        *,
        private_addresses: bool = False,
        allowed: Callable[[str], bool] = public_address,
    ) -> None:
        self._timeout = timeout
        self._pin = not private_addresses
        self._allowed = allowed
        limits = httpx.Limits(max_keepalive_connections=0) if self._pin else httpx.Limits()
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False, limits=limits
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
            target, extensions = await self._target(url, headers) if self._pin else (url, {})
            answer = await self._client.post(
                target, content=body, headers=headers, extensions=extensions
            )
        except PrivateAddress as refused:
            return WebhookAnswer(False, f"refused: {refused} is not a public address")
        except httpx.TimeoutException:
            return WebhookAnswer(False, "timeout")
        except (httpx.HTTPError, OSError) as exc:
            return WebhookAnswer(False, f"network: {type(exc).__name__}")
        if 200 <= answer.status_code < 300:
            return WebhookAnswer(True)
        return WebhookAnswer(False, f"HTTP {answer.status_code}")

    async def _target(self, url: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
        """The URL with its host replaced by a checked address, `headers` given the name."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        loop = asyncio.get_running_loop()
        try:
            found = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), self._timeout
            )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"resolving {host} took too long") from None
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc}") from None
        addresses = [str(info[4][0]) for info in found]
        if not addresses or not all(self._allowed(address) for address in addresses):
            raise PrivateAddress(host)
        address = addresses[0]
        shown = f"[{address}]" if ":" in address else address
        headers["host"] = parts.netloc.rpartition("@")[2]
        pinned = urlunsplit(parts._replace(netloc=f"{shown}:{port}"))
        return pinned, ({"sni_hostname": host} if parts.scheme == "https" else {})

    async def close(self) -> None:
        await self._client.aclose()
