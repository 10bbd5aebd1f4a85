"""What the cabinet's routes share: their dependencies, the reader's language, a 404 page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from komunalka.application.identity.sign_in import OpenedSession, Viewer
from komunalka.application.identity.sign_in_with_telegram import TelegramUser
from komunalka.application.shared.ports import ChartRenderer
from komunalka.channels.pages.routes import not_found_page
from komunalka.channels.pages.security import signed_in_redirect
from komunalka.channels.pages.templating import Pages, language_of
from komunalka.channels.web.telegram_login import verified_telegram_user
from komunalka.channels.web.use_cases import CabinetUseCases


@dataclass(frozen=True, slots=True)
class Cabinet:
    use_cases: CabinetUseCases
    pages: Pages
    secure: bool
    charts: ChartRenderer
    # Telegram's Login Widget is shown when the bot's username is known.
    telegram_bot_name: str | None = None
    # The bot's token checks the Login Widget's signature (none: the widget is refused).
    telegram_token: str | None = None
    # The public address the cabinet's links (a password reset's) point to.
    web_url: str = "http://127.0.0.1:8000"

    def language(self, request: Request, viewer: Viewer | None = None) -> str:
        return language_of(request, viewer)

    def telegram_user(self, fields: Mapping[str, str]) -> TelegramUser:
        """The Telegram user the Login Widget's fields vouch for (DomainError otherwise)."""
        now = self.use_cases.clock.now()
        return verified_telegram_user(fields, self.telegram_token, now)

    def not_found(self, request: Request, viewer: Viewer | None = None) -> HTMLResponse:
        return not_found_page(self.pages, request, "cabinet.not_found", viewer)

    def signed_in(self, opened: OpenedSession, location: str) -> RedirectResponse:
        """A redirect that carries the new session's cookie."""
        now = self.use_cases.clock.now()
        return signed_in_redirect(opened.token, opened.expires_at, location, now, self.secure)
