"""`POST /webhooks/telegram`: Telegram's calls, checked by the secret token it was given.

The answer carries the turn's last reply as a Bot API call (`{"method": "sendMessage", ...}`),
which Telegram makes itself: one outbound request fewer per update. A plain Starlette route:
there is nothing here for FastAPI's dependency injection and validation to do (docs/adr/0006).
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from komunalka.channels.json_body import loads_shallow
from komunalka.channels.telegram.door import TelegramDoor
from komunalka.chat.model import TurnUnderWay

# Telegram sends back the secret given to setWebhook in this header.
HEADER = "x-telegram-bot-api-secret-token"
# An update whose turn is under way elsewhere is refused for now, so that it is delivered again
# and carried out if that turn never finishes (ADR 0015).
RETRY = {"Retry-After": "5"}


def build_router(door: TelegramDoor, secret: str, *, answer: bool = True) -> APIRouter:
    """`answer`: the turn's last reply goes back in the response instead of through the Bot
    API."""
    expected = secret.encode()

    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(HEADER, "").encode()
        if not expected or not hmac.compare_digest(given, expected):
            return JSONResponse({"detail": "Unauthorized"}, status_code=401)
        try:
            payload: Any = loads_shallow(await request.body())
        except ValueError:
            return JSONResponse({"detail": "Bad Request"}, status_code=400)
        if not isinstance(payload, dict):
            return JSONResponse({"detail": "Bad Request"}, status_code=400)
        try:
            call = await door.feed(payload, answer=answer)
        except TurnUnderWay:  # another process is on it: Telegram will ask again, later
            return JSONResponse({"detail": "Busy"}, status_code=503, headers=RETRY)
        return JSONResponse(call if call is not None else {"ok": True})

    router = APIRouter()
    router.add_route("/webhooks/telegram", telegram_webhook, ["POST"], include_in_schema=False)
    return router
