"""A fake webhook receiver on 127.0.0.1, as a supplier's system would be: `POST /hook`.

It verifies every message as the Standard Webhooks specification says (its own code, written
from the specification, not the service's): the ``webhook-signature`` (one or more
space-separated ``v1,<base64>``) must be the HMAC-SHA256, keyed with the secret's bytes, of
``<webhook-id>.<webhook-timestamp>.<body>``, and the timestamp within five minutes. A message
with a bad signature is counted in `rejected` and answered 401. It can misbehave: `script`
holds answers for the next calls (a status, or ``"timeout"`` to wait `hang` seconds before
answering 200, longer than the sender waits). Messages it answered 2xx are `accepted`; their
items are `items` (by ``webhook-id``, so a message sent twice is kept once, as a receiver
should de-duplicate)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.servers.base import LocalServer

TOLERANCE = 5 * 60


def verify(secret: str, headers: Any, body: bytes) -> bool:
    """Standard Webhooks' verification, from the specification."""
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    given = headers.get("webhook-signature", "")
    if not msg_id or not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for part in given.split():
        version, _, signature = part.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


@dataclass
class FakeWebhookReceiver(LocalServer):
    secret: str = ""
    script: deque[int | str] = field(default_factory=deque)
    hang: float = 3.0
    calls: list[dict[str, Any]] = field(default_factory=list)
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    rejected: int = 0

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/hook", self._handle)

    @property
    def hook(self) -> str:
        return f"{self.url}/hook"

    @property
    def items(self) -> list[dict[str, Any]]:
        """Every item of the accepted readings batches, in the order of their positions."""
        found = [
            item
            for message in self.accepted.values()
            if message["type"] == "readings.changes"
            for item in message["data"]["items"]
        ]
        return sorted(found, key=lambda item: item["seq"])

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        call = {"id": request.headers.get("webhook-id"), "answer": 200, "host": request.host}
        self.calls.append(call)
        if not verify(self.secret, request.headers, body):
            self.rejected += 1
            call["answer"] = 401
            return web.json_response({"error": "bad signature"}, status=401)
        if self.script:
            answer = self.script.popleft()
            if answer == "timeout":
                call["answer"] = "timeout"
                await asyncio.sleep(self.hang)
                return web.json_response({"ok": True})  # too late: the sender gave up
            call["answer"] = answer
            if not 200 <= int(answer) < 300:
                return web.json_response({"error": "failure"}, status=int(answer))
        self.accepted.setdefault(str(call["id"]), json.loads(body))
        return web.json_response({"ok": True})
