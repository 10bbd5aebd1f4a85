"""`POST /webhooks/sms`: the SMS gateway's callback for an inbound message, JSON
``{"id", "from", "text"}``, signed: ``X-Sms-Signature`` is the hex HMAC-SHA256 of the raw body
keyed with KOMUNALKA_SMS_SECRET, checked in constant time before anything else. Answered 200
once the message is handled (its answer in the outbox), so the gateway retries only what was not;
a retry of a handled id is answered 200 and changes nothing."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse

from komunalka.channels.json_body import loads_shallow
from komunalka.channels.sms.door import SmsDoor


def signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def build_router(door: SmsDoor, secret: str) -> APIRouter:
    router = APIRouter()

    @router.post("/webhooks/sms", include_in_schema=False)
    async def sms_webhook(
        request: Request, x_sms_signature: Annotated[str | None, Header()] = None
    ) -> JSONResponse:
        body = await request.body()
        given = (x_sms_signature or "").encode()
        if not hmac.compare_digest(given, signature(body, secret).encode()):
            raise HTTPException(status_code=401)
        try:
            payload: Any = loads_shallow(body)
        except ValueError:
            payload = None
        fields = _fields(payload)
        if fields is None:  # signed, yet no message: ignored, answered 200 so it is not retried
            return JSONResponse({"ok": False})
        await door.receive(*fields)
        return JSONResponse({"ok": True})

    return router


def _fields(payload: Any) -> tuple[str, str, str] | None:
    if not isinstance(payload, dict):
        return None
    gateway_id, phone, text = payload.get("id"), payload.get("from"), payload.get("text")
    if not (isinstance(gateway_id, str) and isinstance(phone, str) and isinstance(text, str)):
        return None
    if not 0 < len(gateway_id) <= 100 or not 0 < len(phone) <= 40:
        return None
    return gateway_id, phone, text
