"""`POST /webhooks/viber`: Viber's callbacks, signed with the bot token (hex HMAC-SHA256 of the
raw body in X-Viber-Content-Signature), checked in constant time before anything else."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from komunalka.channels.json_body import loads_shallow
from komunalka.channels.viber.door import PICTURES, ViberDoor
from komunalka.channels.viber.use_cases import ViberUseCases
from komunalka.chat.model import TurnUnderWay


def signature(body: bytes, token: str) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def build_router(door: ViberDoor, use_cases: ViberUseCases, token: str) -> APIRouter:
    router = APIRouter()

    @router.post("/webhooks/viber", include_in_schema=False)
    async def viber_webhook(
        request: Request,
        x_viber_content_signature: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        body = await request.body()
        given = (x_viber_content_signature or "").encode()
        if not hmac.compare_digest(given, signature(body, token).encode()):
            raise HTTPException(status_code=401)
        try:
            payload: Any = loads_shallow(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            # signed, yet no callback Viber sends: ignored, and answered 200 so it is not retried
            return JSONResponse({"status": 0})
        try:
            answer = await door.feed(payload)
        except TurnUnderWay:  # another process is on it: Viber will call again, later (ADR 0015)
            return JSONResponse({"status": 1}, status_code=503, headers={"Retry-After": "5"})
        return JSONResponse(answer or {"status": 0})

    @router.get(PICTURES + "/{name}.png", include_in_schema=False)
    async def picture(name: str) -> Response:
        """A picture sent to Viber as a URL: Viber's servers fetch it from here."""
        found = await use_cases.fetch_picture(name)
        if found is None:
            raise HTTPException(status_code=404)
        content, content_type = found
        return Response(content, media_type=content_type, headers={"Cache-Control": "private"})

    return router
