"""A fake Viber bot API on 127.0.0.1: records what the bot sends, answers status 0."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.servers.base import LocalServer


@dataclass
class FakeViber(LocalServer):
    token: str = "viber-test-token"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def sent(self, method: str = "send_message") -> list[dict[str, Any]]:
        return [body for name, body in self.calls if name == method]

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/pa/{method}", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.headers.get("X-Viber-Auth-Token") != self.token:
            return web.json_response({"status": 2, "status_message": "invalidAuthToken"})
        self.calls.append((request.match_info["method"], await request.json()))
        return web.json_response({"status": 0, "status_message": "ok"})
