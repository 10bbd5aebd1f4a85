"""A fake Telegram Bot API on 127.0.0.1: records what the bot sends and answers like Telegram.

Failures can be queued: `fail_next(429, retry_after=1)` or `fail_next(502)` makes the next call
answer that, so retry behaviour is tested against real HTTP.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.servers.base import LocalServer


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200  # what the fake answered


@dataclass
class FakeTelegram(LocalServer):
    token: str = "123456:TEST"
    calls: list[Call] = field(default_factory=list)
    failures: deque[tuple[int, int]] = field(default_factory=deque)
    updates: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, status: int, retry_after: int = 0) -> None:
        self.failures.append((status, retry_after))

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/bot{token}/{method}", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        if self.failures:
            status, retry_after = self.failures.popleft()
            call.status = status
            body: dict[str, Any] = {"ok": False, "error_code": status, "description": "failure"}
            if status == 429:
                body["description"] = f"Too Many Requests: retry after {retry_after}"
                body["parameters"] = {"retry_after": retry_after}
            return _json(body, status)
        return _json({"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method in ("sendMessage", "sendPhoto"):
            chat = {"id": int(params.get("chat_id", 0)), "type": "private"}
            message: dict[str, Any] = {"message_id": next(self._ids), "date": 0, "chat": chat}
            if method == "sendMessage":
                message["text"] = params.get("text", "")
            else:
                message["photo"] = [
                    {"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}
                ]
            return message
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            return [u for u in self.updates if u["update_id"] >= offset]
        if method == "getMe":
            return {"id": 123456, "is_bot": True, "first_name": "Komunalka", "username": "k_bot"}
        return True


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data: dict[str, Any] = await request.json()
        return data
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = value.file.read()
        elif key == "reply_markup" and isinstance(value, str):
            params[key] = json.loads(value)
        else:
            params[key] = value
    # aiogram uploads files as named parts and refers to them as attach://<name>
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.pop(value.removeprefix("attach://"), value)
    return params


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status)
