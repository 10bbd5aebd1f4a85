"""`POST /webhooks/telegram`: Telegram's calls, checked by the secret token it was given."""

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
        await door.feed(payload)
        return JSONResponse({"ok": True})

    return router
