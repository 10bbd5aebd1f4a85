"""What the cabinet's routes share: their dependencies, the reader's language, a 404 page."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from komunalka.application.identity.sign_in import OpenedSession, Viewer
from komunalka.application.ports import ChartRenderer
from komunalka.application.use_cases import UseCases
from komunalka.channels.pages.routes import not_found_page
from komunalka.channels.pages.security import signed_in_redirect
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
        return not_found_page(self.pages, request, "cabinet.not_found", viewer)

    def signed_in(self, opened: OpenedSession, location: str) -> RedirectResponse:
        """A redirect that carries the new session's cookie."""
        now = self.use_cases.clock.now()
        return signed_in_redirect(opened.token, opened.expires_at, location, now, self.secure)
