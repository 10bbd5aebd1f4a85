"""Viber callbacks → conversation events; replies → `send_message` with a keyboard.

A button press comes back as a text message carrying the button's ActionBody; the door marks
its own ActionBodies with a prefix, so a typed text is never taken for a button. A picture
message is a photo of the meter: fetched from Viber's media URL before the turn (ADR 0027).
Each callback is acted on once (the conversation records its message_token first). Delivery
receipts are ignored; `unsubscribed` stops reminders to that user, `subscribed` lets them go
again.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import httpx

from komunalka.application.readings.read_meter_photo import MAX_PHOTO_BYTES
from komunalka.channels.viber.use_cases import ViberUseCases
from komunalka.chat.conversation import Conversation
from komunalka.chat.model import Event, EventKind, Reply

log = logging.getLogger(__name__)
BUTTON = "kb:"
SENDER = {"name": "Komunalka"}
PICTURES = "/media/pictures"
IGNORED = {"delivered", "seen", "failed", "webhook"}


class ViberError(Exception):
    pass


class ViberDoor:
    def __init__(
        self,
        conversation: Conversation,
        use_cases: ViberUseCases,
        client: httpx.AsyncClient,
        public_url: str = "",
    ) -> None:
        """`client` is bound to the Viber API base URL and carries the X-Viber-Auth-Token;
        `public_url` is where Viber's servers reach this app, for pictures sent as URLs."""
        self._conversation = conversation
        self._uc = use_cases
        self._client = client
        self._public_url = public_url.rstrip("/")

    async def feed(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Acts on one callback; for conversation_started, returns the welcome message, which
        Viber takes only as the callback's answer."""
        kind = payload.get("event")
        if kind in IGNORED or not isinstance(kind, str):
            return None
        if kind == "unsubscribed":  # no reminders there until they come back
            user_id = _id(payload.get("user_id"))
            if user_id:
                await self._uc.mark_unreachable("viber", user_id)
            return None
        if kind == "subscribed":
            user_id = _id(_object(payload.get("user")).get("id"))
            if user_id:
                await self._uc.reachable_again("viber", user_id)
            return None
        if kind == "conversation_started":
            user = _object(payload.get("user"))
            if not _id(user.get("id")):
                return None
            event = Event(
                EventKind.START, _text(payload.get("context")), _language(user.get("language"))
            )
            replies = await self._conversation.handle(
                _id(user.get("id")), _text(user.get("name"), 200), event
            )
            welcome = _message(None, replies[0]) if replies else None
            return welcome
        if kind != "message":
            return None
        token = _id(payload.get("message_token"))
        sender = _object(payload.get("sender"))
        user_id = _id(sender.get("id"))
        message = payload.get("message")
        if not token or not user_id or not isinstance(message, dict):
            return None
        text = _text(message.get("text"))
        language = _language(sender.get("language"))
        if message.get("type") == "picture":
            photo = await self._picture(message.get("media"))
            event = Event(EventKind.PHOTO, "", language, photo=photo)
        elif text.startswith(BUTTON):
            event = Event(EventKind.BUTTON, text.removeprefix(BUTTON), language)
        else:
            event = Event(EventKind.TEXT, text, language)
        name = _text(sender.get("name"), 200)

        async def hand_over(replies: list[Reply]) -> None:
            for reply in replies:
                await self.send(user_id, reply)

        await self._conversation.handle(user_id, name, event, token, send=hand_over)
        return None

    async def _picture(self, media: Any) -> bytes:
        """A picture message's photo, fetched from its `media` URL: only from Viber's own hosts
        (``*.viber.com`` over HTTPS, or the API's host), without the bot's token, at most
        MAX_PHOTO_BYTES; empty when it cannot be had (the conversation then asks again)."""
        if not isinstance(media, str) or not self._may_fetch(media):
            return b""
        body = bytearray()
        try:
            async with (
                httpx.AsyncClient(timeout=30, follow_redirects=False) as client,
                client.stream("GET", media) as answer,
            ):
                if not answer.is_success:
                    return b""
                async for chunk in answer.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_PHOTO_BYTES:
                        return b""
        except httpx.HTTPError as exc:
            log.info("viber: picture not downloaded: %s", type(exc).__name__)
            return b""
        return bytes(body)

    def _may_fetch(self, url: str) -> bool:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host and host == self._client.base_url.host:
            return parts.scheme in ("http", "https")
        return parts.scheme == "https" and host.endswith(".viber.com")

    async def send(self, user_id: str, reply: Reply) -> None:
        if reply.picture and self._public_url:
            name = await self._uc.publish_picture(reply.picture)
            url = f"{self._public_url}{PICTURES}/{name}.png"
            picture = {
                "receiver": user_id,
                "sender": SENDER,
                "type": "picture",
                "media": url,
                "text": "",
                "min_api_version": 3,
            }
            await self._post("/pa/send_message", picture)
        await self._post("/pa/send_message", _message(user_id, reply))

    async def _post(self, path: str, body: dict[str, Any]) -> None:
        answer = await self._client.post(path, json=body)
        body = answer.json() if answer.status_code == 200 else {}
        if body.get("status") != 0:
            raise ViberError(
                f"send_message: HTTP {answer.status_code} {body.get('status_message')}"
            )

    async def set_webhook(self, url: str) -> None:
        events = ["message", "conversation_started", "subscribed", "unsubscribed"]
        answer = await self._client.post(
            "/pa/set_webhook", json={"url": url, "event_types": events}
        )
        if answer.json().get("status") != 0:
            raise ViberError(f"set_webhook: {answer.json().get('status_message')}")


def _object(value: Any) -> dict[str, Any]:
    """A JSON object of the callback, or an empty one if the field is missing or of a wrong
    type (a string or a list where Viber sends an object): no callback Viber sends."""
    return value if isinstance(value, dict) else {}


def _text(value: Any, most: int = 4096) -> str:
    """A scalar field as text; NUL bytes (which PostgreSQL refuses) and anything past `most`
    characters dropped; an object or a list is no text."""
    if isinstance(value, dict | list) or value is None:
        return ""
    return str(value).replace("\x00", "")[:most]


def _language(value: Any) -> str | None:
    """The user's language tag (Viber's `language`, "en" or "en-GB"), when it gives one."""
    text = _text(value, 35)
    return text or None


def _id(value: Any) -> str:
    """A user id or a message token; none if longer than Viber's (the tables keep 64)."""
    text = _text(value)
    return text if len(text) <= 64 else ""


def _message(user_id: str | None, reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {
        "sender": SENDER,
        "type": "text",
        "text": reply.text,
        "min_api_version": 3,
    }
    if user_id is not None:
        message["receiver"] = user_id
    if reply.buttons:
        message["keyboard"] = {
            "Type": "keyboard",
            "DefaultHeight": False,
            "Buttons": [
                {
                    "Columns": 3,
                    "Rows": 1,
                    "ActionType": "reply",
                    "ActionBody": BUTTON + b.action,
                    "Text": b.label,
                }
                for b in reply.buttons
            ],
        }
    return message
