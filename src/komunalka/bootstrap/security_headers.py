"""The headers every answer carries, pages, API and webhooks alike: a strict Content Security
Policy (no inline script or style: the pages' scripts are static files, htmx is told not to
inject its indicator style), no framing, no MIME sniffing, no Referer (the password reset token
travels in the URL) and no caching of anything but the static files (pages and API answers are
personal)."""

from __future__ import annotations

from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Charts are <img> of PNG data or of the service's own URLs.
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "frame-src": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}
# Telegram's Login Widget (https://core.telegram.org/widgets/login): its script, the button it
# frames from oauth.telegram.org and the pictures it shows; only on the pages that show it.
TELEGRAM_WIDGET = {
    # the widget calls `data-onauth` by evaluating its text (a string of JavaScript), so these
    # two pages need 'unsafe-eval'; every other page keeps the strict policy
    "script-src": "https://telegram.org 'unsafe-eval'",
    "img-src": "https://telegram.org https://t.me",
    "frame-src": "https://oauth.telegram.org",
}
WIDGET_PAGES = frozenset({"/sign-in", "/profile"})
STATIC = "/static/"


def content_security_policy(telegram_widget: bool = False) -> str:
    policy = dict(POLICY)
    if telegram_widget:
        for directive, sources in TELEGRAM_WIDGET.items():
            kept = policy[directive].replace("'none'", "").strip()
            policy[directive] = f"{kept} {sources}".strip()
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


class SecurityHeaders:
    """ASGI middleware adding the headers to every HTTP answer; `widget_pages` get the policy
    that lets Telegram's Login Widget in (none when the bot's name is not set)."""

    def __init__(self, app: ASGIApp, widget_pages: Collection[str] = ()) -> None:
        self.app = app
        self.widget_pages = frozenset(widget_pages)
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
        ]
        self.plain = [*common, _csp(content_security_policy())]
        self.widget = [*common, _csp(content_security_policy(telegram_widget=True))]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        added = self.widget if path in self.widget_pages else self.plain
        static = path.startswith(STATIC)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in added if name not in names]
                if not static and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def _csp(policy: str) -> tuple[bytes, bytes]:
    return b"content-security-policy", policy.encode()
