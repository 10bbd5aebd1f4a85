"""What the cabinet's routes share: their dependencies, the reader's language, a 404 page."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from komunalka.application.ports import ChartRenderer
from komunalka.application.sign_in import OpenedSession, Viewer
from komunalka.application.use_cases import UseCases
from komunalka.channels.pages.security import session_cookie
from komunalka.channels.pages.templating import Pages, language_of


@dataclass(frozen=True, slots=True)
class Cabinet:
    use_cases: UseCases
    pages: Pages
    secure: bool
    charts: ChartRenderer
    # Telegram's Login Widget is shown when the bot's username is known.
    telegram_bot_name: str | None = None

    def language(self, request: Request, viewer: Viewer | None = None) -> str:
        return language_of(request, viewer)

    def not_found(self, request: Request, viewer: Viewer | None = None) -> HTMLResponse:
        context = {"title": "cabinet.not_found_title", "message": "cabinet.not_found"}
        return self.pages.render(
            request, "pages/message.html", context, status_code=404, viewer=viewer
        )

    def signed_in(self, opened: OpenedSession, location: str) -> RedirectResponse:
        """A redirect that carries the new session's cookie."""
        response = RedirectResponse(location, status_code=303)
        now = self.use_cases.clock.now()
        cookie = session_cookie(opened.token, opened.expires_at, now, self.secure)
        response.headers.append("set-cookie", cookie.decode())
        return response


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""
