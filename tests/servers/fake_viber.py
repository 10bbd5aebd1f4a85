"""A fake Viber bot API on 127.0.0.1: records what the bot sends, answers status 0.

It can misbehave like the real one, all off by default: receivers in `unsubscribed` answer status
6 (receiverNotSubscribed), in `missing` status 5 (receiverNotRegistered), on `send_message` and
in a broadcast's `failed_list`; a broadcast of more than 300 receivers answers 3 (badData);
`error_rate` answers a random share of calls HTTP 500 (seeded with `seed`); `billing_status`, when
set, is in every answer. Pictures users sent: `add_media(bytes)` gives the URL an update's
`message.media` carries (`GET /media/<name>`, 404 for an unknown one); `media_fetches` counts
the downloads.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.servers.base import LocalServer
from tests.servers.fake_telegram import _held

STATUS = {5: "receiverNotRegistered", 6: "receiverNotSubscribed"}


@dataclass
class FakeViber(LocalServer):
    token: str = "viber-test-token"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # when each call arrived
    unsubscribed: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    error_rate: float = 0.0
    billing_status: int | None = None
    seed: int = 0
    latency: float = 0.0  # seconds each send_message takes to answer, as over a real network
    media: dict[str, bytes] = field(default_factory=dict)
    media_fetches: list[str] = field(default_factory=list)
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def sent(self, method: str = "send_message") -> list[dict[str, Any]]:
        return [body for name, body in self.calls if name == method]

    def add_media(self, content: bytes) -> str:
        name = f"img{len(self.media) + 1}.jpg"
        self.media[name] = content
        return f"{self.url}/media/{name}"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/pa/{method}", self._handle)
        app.router.add_get("/media/{name}", self._media)

    async def _media(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.media_fetches.append(name)
        if "X-Viber-Auth-Token" in request.headers or name not in self.media:
            return web.Response(status=404)
        return web.Response(body=self.media[name], content_type="image/jpeg")

    async def _handle(self, request: web.Request) -> web.Response:
        if request.headers.get("X-Viber-Auth-Token") != self.token:
            return web.json_response({"status": 2, "status_message": "invalidAuthToken"})
        method, body = request.match_info["method"], await request.json()
        if method == "send_message" and self.latency and not await _held(self):
            return web.json_response({"error": "released"}, status=502)
        self.calls.append((method, body))
        self.times.append(time.monotonic())
        if self.error_rate and self._random.random() < self.error_rate:
            return web.json_response({"error": "internal"}, status=500)
        answer: dict[str, Any] = {"status": 0, "status_message": "ok", "message_token": 1}
        if method == "send_message":
            status = self._status(str(body.get("receiver")))
            answer.update(status=status, status_message=STATUS.get(status, "ok"))
        elif method == "broadcast_message":
            receivers = [str(r) for r in body.get("broadcast_list", [])]
            if len(receivers) > 300:
                answer.update(status=3, status_message="badData")
            failed = [(r, self._status(r)) for r in receivers]
            answer["failed_list"] = [
                {"receiver": r, "status": s, "status_message": STATUS[s]} for r, s in failed if s
            ]
        if self.billing_status is not None:
            answer["billing_status"] = self.billing_status
        return web.json_response(answer)

    def _status(self, receiver: str) -> int:
        return 6 if receiver in self.unsubscribed else 5 if receiver in self.missing else 0
