"""Request bodies bounded per route, before they are read: a Content-Length above the route's
bound is refused at once (413, the connection closed, nothing read), and a body without one
(chunked) is counted as it streams and cut at the bound (413). Without it an anonymous client
could make the process read and parse a body of any size before its token is even looked at."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from komunalka.channels.api.errors import error_response
from komunalka.i18n import negotiate

TOO_LARGE = "request.too_large"


class BodyTooLarge(HTTPException):
    """Raised by `receive` when a streamed body passes its bound; the app's HTTP error handler
    answers it (413), or `BodyLimits` does when it is raised outside the app's handlers."""

    def __init__(self) -> None:
        super().__init__(413, TOO_LARGE, headers={"Connection": "close"})


class BodyLimits:
    """ASGI middleware: `limits` maps path prefixes to their bounds, in bytes (the longest
    matching prefix wins); every other path gets `default`."""

    def __init__(self, app: ASGIApp, limits: Sequence[tuple[str, int]], default: int) -> None:
        self.app = app
        self.limits = sorted(limits, key=lambda limit: len(limit[0]), reverse=True)
        self.default = default

    def limit_of(self, path: str) -> int:
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope["path"])
        declared = _content_length(scope)
        if declared is not None and not 0 <= declared <= limit:
            await _refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1  # refused: uvicorn's parser would have refused it already anyway
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    language = None
    for name, value in scope["headers"]:
        if name == b"accept-language":
            language = value.decode("latin-1")
    response = error_response(TOO_LARGE, 413, negotiate(language))
    response.headers["Connection"] = "close"
    await response(scope, receive, send)
