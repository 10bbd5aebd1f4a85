"""A fake HTTP SMS gateway on 127.0.0.1: `POST /send` with ``{"to", "text"}`` and a Bearer token.

It records what it accepts (`messages`) and can misbehave: numbers in `invalid` answer 400
"invalid number", `fail_next(status)` queues an answer for the next call, `error_rate` answers a
random share (seeded) 503.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.servers.base import LocalServer


@dataclass
class FakeSms(LocalServer):
    token: str = "sms-test-token"
    messages: list[dict[str, Any]] = field(default_factory=list)
    invalid: set[str] = field(default_factory=set)
    failures: deque[int] = field(default_factory=deque)
    error_rate: float = 0.0
    seed: int = 0
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def fail_next(self, status: int) -> None:
        self.failures.append(status)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/send", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "unauthorized"}, status=401)
        body = await request.json()
        if self.failures:
            status = self.failures.popleft()
            return web.json_response({"error": "failure"}, status=status)
        if self.error_rate and self._random.random() < self.error_rate:
            return web.json_response({"error": "unavailable"}, status=503)
        if str(body.get("to")) in self.invalid:
            return web.json_response({"error": "invalid number"}, status=400)
        self.messages.append(body)
        return web.json_response({"id": len(self.messages)})
