"""`POST /webhooks/telegram`: Telegram's calls, checked by the secret token it was given.

The answer carries the turn's last reply as a Bot API call (`{"method": "sendMessage", ...}`),
which Telegram makes itself: one outbound request fewer per update."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse

from komunalka.channels.telegram.door import TelegramDoor


def build_router(door: TelegramDoor, secret: str) -> APIRouter:
    router = APIRouter()

    @router.post("/webhooks/telegram", include_in_schema=False)
    async def telegram_webhook(
        request: Request,
        x_telegram_bot_api_secret_token: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        given = (x_telegram_bot_api_secret_token or "").encode()
        if not secret or not hmac.compare_digest(given, secret.encode()):
            raise HTTPException(status_code=401)
        try:
            payload: Any = await request.json()
        except ValueError as exc:
            raise HTTPException(status_code=400) from exc
        if not isinstance(payload, dict):
            raise HTTPException(status_code=400)
        answer = await door.feed(payload, answer=True)
        return JSONResponse(answer if answer is not None else {"ok": True})

    return router
