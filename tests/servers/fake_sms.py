"""A fake HTTP SMS gateway on 127.0.0.1: `POST /send` with ``{"to", "text"}`` and a Bearer token.

It records what it accepts (`messages`) and can misbehave: numbers in `invalid` answer 400
"invalid number", `fail_next(status)` queues an answer for the next call (a 429 with a
Retry-After), `hang_next(seconds)` answers the next call that late (a client's timeout),
`error_rate` answers a random share (seeded) 503.

Inbound, it is the gateway calling the service: `inbound(url, id, phone, text)` posts a message
to the SMS door's callback signed as the door expects (hex HMAC-SHA256 of the body with the
shared secret in X-Sms-Signature, ADR 0026); the same id again is the gateway's retry.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

from tests.servers.base import LocalServer


@dataclass
class FakeSms(LocalServer):
    token: str = "sms-test-token"
    messages: list[dict[str, Any]] = field(default_factory=list)
    invalid: set[str] = field(default_factory=set)
    failures: deque[int] = field(default_factory=deque)
    error_rate: float = 0.0
    secret: str = "sms-inbound-secret-0123"
    hangs: deque[float] = field(default_factory=deque)
    seed: int = 0
    retry_after: int = 3  # a 429's Retry-After, in seconds
    arrivals: list[float] = field(default_factory=list)  # time.monotonic() of every send
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def fail_next(self, status: int) -> None:
        self.failures.append(status)

    def hang_next(self, seconds: float) -> None:
        self.hangs.append(seconds)

    def texts_to(self, phone: str) -> list[str]:
        return [str(m["text"]) for m in self.messages if m.get("to") == phone]

    def sign(self, body: bytes, secret: str | None = None) -> str:
        key = (secret or self.secret).encode()
        return hmac.new(key, body, hashlib.sha256).hexdigest()

    async def inbound(
        self, client: httpx.AsyncClient, url: str, gateway_id: str, phone: str, text: str
    ) -> httpx.Response:
        """The gateway's callback for a message from `phone`, signed."""
        body = json.dumps({"id": gateway_id, "from": phone, "text": text}).encode()
        headers = {"Content-Type": "application/json", "X-Sms-Signature": self.sign(body)}
        return await client.post(url, content=body, headers=headers)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/send", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "unauthorized"}, status=401)
        body = await request.json()
        self.arrivals.append(time.monotonic())
        if self.hangs:
            await asyncio.sleep(self.hangs.popleft())
        if self.failures:
            status = self.failures.popleft()
            headers = {"Retry-After": str(self.retry_after)} if status == 429 else {}
            return web.json_response({"error": "failure"}, status=status, headers=headers)
        if self.error_rate and self._random.random() < self.error_rate:
            return web.json_response({"error": "unavailable"}, status=503)
        if str(body.get("to")) in self.invalid:
            return web.json_response({"error": "invalid number"}, status=400)
        self.messages.append(body)
        return web.json_response({"id": len(self.messages)})
