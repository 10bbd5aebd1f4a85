"""A fake Telegram Bot API on 127.0.0.1: records what the bot sends and answers like Telegram.

Failures can be queued: `fail_next(429, retry_after=1)` or `fail_next(502)` makes the next call
answer that, so retry behaviour is tested against real HTTP. Like the real one it can also
misbehave on its own, all off by default: `limit_per_second` answers 429 (with
`parameters.retry_after`) to a `sendMessage` that would make more than that many delivered in the
last second; chats in `blocked` answer 403 "bot was blocked by the user", chats in `missing` 400
"chat not found"; `error_rate` and `too_many_rate` answer a random share of sends 502 or 429,
drawn from a generator seeded with `seed`.

Files users sent: `add_file(bytes)` gives a file id for an update's `photo`; `getFile` answers its
`file_path` and `file_size` (400 "file not found" for an unknown id; Telegram's getFile refuses
files over 20 MB the same way) and `GET /file/bot<token>/<file_path>` serves the bytes (404 for
an unknown path). `fail_download` answers the next download with that status.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
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
    limit_per_second: int | None = None
    retry_after: int = 1  # what a 429 of the rate limit or of too_many_rate asks to wait
    blocked: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    error_rate: float = 0.0
    too_many_rate: float = 0.0
    seed: int = 0
    latency: float = 0.0  # seconds each sendMessage takes to answer, as over a real network
    files: dict[str, bytes] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)  # the file paths downloaded, in order
    download_failures: deque[int] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _delivered: deque[float] = field(default_factory=deque)
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def delivered(self) -> list[Call]:
        return [c for c in self.calls if c.method == "sendMessage" and c.status == 200]

    def max_in_window(self, seconds: float = 1.0) -> int:
        """The most messages delivered within any window of `seconds` (by arrival time)."""
        times = sorted(c.at for c in self.delivered())
        most, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= seconds:
                start += 1
            most = max(most, end - start + 1)
        return most

    def fail_next(self, status: int, retry_after: int = 0) -> None:
        self.failures.append((status, retry_after))

    def answered(self) -> list[str]:
        """The callback query ids answered (answerCallbackQuery), in order, repeats kept."""
        return [
            str(c.params.get("callback_query_id"))
            for c in self.calls
            if c.method == "answerCallbackQuery"
        ]

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def add_file(self, content: bytes) -> str:
        file_id = f"AgAC{len(self.files) + 1:04d}"
        self.files[file_id] = content
        return file_id

    def fail_download(self, status: int) -> None:
        self.download_failures.append(status)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        self.downloads.append(path)
        if self.download_failures:
            return web.Response(status=self.download_failures.popleft())
        file_id = path.removeprefix("photos/").removesuffix(".jpg")
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id], content_type="image/jpeg")

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        method = request.match_info["method"]
        params = await _params(request)
        if method == "sendMessage" and self.latency and not await _held(self):
            return _json({"ok": False, "error_code": 502, "description": "Bad Gateway"}, 502)
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
        if method == "sendMessage" and (fault := self._fault(call, str(params.get("chat_id")))):
            return fault
        if method == "getFile" and str(params.get("file_id")) not in self.files:
            call.status = 400
            body = {"ok": False, "error_code": 400, "description": "Bad Request: file not found"}
            return _json(body, 400)
        return _json({"ok": True, "result": self._result(method, params)})

    def _fault(self, call: Call, chat: str) -> web.Response | None:
        """What a misbehaving Telegram answers to this send, or None to deliver it."""
        now = call.at
        while self._delivered and now - self._delivered[0] >= 1.0:
            self._delivered.popleft()
        answer: tuple[int, str] | None = None
        limited = (
            self.limit_per_second is not None and len(self._delivered) >= self.limit_per_second
        )
        if limited or (self.too_many_rate and self._random.random() < self.too_many_rate):
            answer = (429, "")
        elif self.error_rate and self._random.random() < self.error_rate:
            answer = (502, "Bad Gateway")
        elif chat in self.blocked:
            answer = (403, "Forbidden: bot was blocked by the user")
        elif chat in self.missing:
            answer = (400, "Bad Request: chat not found")
        if answer is None:
            self._delivered.append(now)
            return None
        call.status, description = answer
        body: dict[str, Any] = {"ok": False, "error_code": call.status, "description": description}
        if call.status == 429:
            body["description"] = f"Too Many Requests: retry after {self.retry_after}"
            body["parameters"] = {"retry_after": self.retry_after}
        return _json(body, call.status)

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
        if method == "getFile":
            file_id = str(params["file_id"])
            size = len(self.files[file_id])
            path = f"photos/{file_id}.jpg"
            return {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_size": size,
                "file_path": path,
            }
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


async def _held(server: Any) -> bool:
    """Waits `server.latency` seconds, re-read as it waits; False when it was set to 0 first:
    such a request was never delivered (a test that stalled the fake and killed the process
    whose request hung releases it without the message going)."""
    began = time.monotonic()
    while time.monotonic() - began < server.latency:  # noqa: ASYNC110 (the latency may change)
        await asyncio.sleep(0.05)
    return server.latency > 0
