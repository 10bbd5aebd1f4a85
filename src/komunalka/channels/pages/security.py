"""Cookies, CSRF and who is signed in.

- The session cookie holds a random token (the database keeps its SHA-256); Secure, HttpOnly,
  SameSite=Lax, and it dies with the session.
- CSRF: a double-submit token. `CsrfCookie` gives every browser a random token in an HttpOnly
  cookie; every form carries it in a hidden field (HTMX sends it as `X-CSRF-Token`), and
  `csrf_protect` refuses an unsafe request whose token does not match. Another site can neither
  read the cookie nor set it, so it cannot forge the field. The token changes at sign-in and
  sign-out (`rotate_csrf`), so one from before a sign-in does not work after it.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from komunalka.application.identity.sign_in import STAFF, Viewer
from komunalka.channels.pages.use_cases import PagesUseCases
from komunalka.domain.staff import StaffRole

SESSION_COOKIE = "komunalka_session"
CSRF_COOKIE = "komunalka_csrf"
LANGUAGE_COOKIE = "komunalka_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Paths with their own authentication: no cookies, no CSRF.
NOT_PAGES = ("/api/", "/webhooks/", "/health", "/media/", "/static/", "/openapi.json", "/docs")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class CsrfCookie:
    """ASGI middleware: a browser without a CSRF cookie gets one, and the request sees it at
    ``scope["state"]["csrf"]``."""

    def __init__(
        self, app: Callable[[Scope, Receive, Send], Awaitable[None]], secure: bool
    ) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NOT_PAGES):
            await self.app(scope, receive, send)
            return
        token = _cookie(scope, CSRF_COOKIE) or ""
        fresh = len(token) != 43
        if fresh:
            token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf"] = token

        async def sending(message: Message) -> None:
            if fresh and message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(_sets_csrf(k, v) for k, v in headers):  # unless rotated already
                    cookie = cookie_header(CSRF_COOKIE, token, self.secure)
                    headers.append((b"set-cookie", cookie))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def _sets_csrf(key: bytes, value: bytes) -> bool:
    return key.lower() == b"set-cookie" and value.startswith(CSRF_COOKIE.encode() + b"=")


def rotate_csrf(response: Response, secure: bool) -> None:
    """A new CSRF token for the browser when who is signed in changes (sign-in, sign-out): a
    token someone learned or planted before no longer matches the cookie."""
    cookie = cookie_header(CSRF_COOKIE, secrets.token_urlsafe(32), secure)
    response.headers.append("set-cookie", cookie.decode("latin-1"))


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return str(v)
    return None


def cookie_header(
    name: str, value: str, secure: bool, max_age: int | None = None, http_only: bool = True
) -> bytes:
    parts = [f"{name}={value}", "Path=/", "SameSite=Lax"]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts).encode("latin-1")


class CsrfRejected(Exception):
    """An unsafe request without the browser's CSRF token."""


class SignInRequired(Exception):
    """No live session; the browser is sent to `sign_in` and back to `next` after."""

    def __init__(self, sign_in: str, next_url: str) -> None:
        self.location = f"{sign_in}?next={quote(next_url, safe='/')}"


class Forbidden(Exception):
    """A signed-in person whose role may not use the page."""


class PageNotFound(Exception):
    """Nothing here for this reader: missing, or not theirs (told the same). A 404 page saying
    `message` (a catalog code)."""

    def __init__(self, message: str = "pages.not_found") -> None:
        super().__init__(message)
        self.message = message


def csrf_token(request: Request) -> str:
    return str(request.scope.get("state", {}).get("csrf", ""))


async def csrf_protect(request: Request) -> None:
    """A router dependency: unsafe requests must carry the cookie's token back."""
    if request.method not in UNSAFE:
        return
    expected = csrf_token(request)
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise CsrfRejected()


async def current_viewer(request: Request) -> Viewer | None:
    """Who the session cookie belongs to (once per request)."""
    state = request.state
    if not hasattr(state, "viewer"):
        use_cases: PagesUseCases = request.app.state.pages_use_cases
        state.viewer = await use_cases.resolve_session(request.cookies.get(SESSION_COOKIE))
    viewer: Viewer | None = state.viewer
    return viewer


def _next_url(request: Request) -> str:
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")


async def require_resident(request: Request) -> Viewer:
    viewer = await current_viewer(request)
    if viewer is None:
        raise SignInRequired("/sign-in", _next_url(request) if request.method == "GET" else "/")
    if viewer.kind == STAFF:
        raise Forbidden()
    return viewer


def require_staff(
    *roles: StaffRole, home: str = "/staff/sign-in"
) -> Callable[[Request], Awaitable[Viewer]]:
    """A dependency that lets in active staff of the given roles only."""

    async def dependency(request: Request) -> Viewer:
        viewer = await current_viewer(request)
        if viewer is None:
            back = _next_url(request) if request.method == "GET" else "/"
            raise SignInRequired(home, back)
        if viewer.staff is None or viewer.staff.role not in roles:
            raise Forbidden()
        return viewer

    return dependency


def session_cookie(token: str, expires_at: datetime, now: datetime, secure: bool) -> bytes:
    max_age = max(int((expires_at - now).total_seconds()), 0)
    return cookie_header(SESSION_COOKIE, token, secure, max_age)


def signed_in_redirect(
    token: str, expires_at: datetime, location: str, now: datetime, secure: bool
) -> RedirectResponse:
    """A redirect that carries a new session's cookie, and a new CSRF token."""
    response = RedirectResponse(location, status_code=303)
    response.headers.append("set-cookie", session_cookie(token, expires_at, now, secure).decode())
    rotate_csrf(response, secure)
    return response


def client_address(request: Request) -> str:
    """The address the request came from, as the sign-in limits count it. Behind a proxy that
    the settings trust (KOMUNALKA_TRUST_FORWARDED_FOR, kept at ``app.state``), the last entry of
    X-Forwarded-For: the one that proxy appended; earlier entries are the client's to forge."""
    if getattr(request.app.state, "trust_forwarded_for", False):
        forwarded = request.headers.get("x-forwarded-for", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return request.client.host if request.client else ""


def safe_next(value: str | None, default: str) -> str:
    """Only a path of this site: never an open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
