"""Signing up and in to the cabinet: e-mail or phone with a password, a one-time reset link, and
Telegram's Login Widget. Public pages: the limits and the checks live in the use cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from komunalka.application.identity.ports import ResetTicket
from komunalka.application.shared.ports import OutgoingMessage
from komunalka.channels.pages.routes import add_pages
from komunalka.channels.pages.security import (
    LANGUAGE_COOKIE,
    client_address,
    cookie_header,
    current_viewer,
)
from komunalka.channels.pages.security import safe_next as safe
from komunalka.channels.web.common import Cabinet
from komunalka.domain.errors import DomainError
from komunalka.i18n import LANGUAGES, translate

YEAR = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class ResetMessage:
    """This door's reset message (a ResetMessageComposer): the link to its reset page, worded
    in the reader's language, for the login the reset was asked for."""

    web_url: str
    language: str

    def __call__(self, ticket: ResetTicket) -> OutgoingMessage:
        link = f"{self.web_url.rstrip('/')}/password/reset/{ticket.token}"
        subject = translate("cabinet.reset_subject", self.language)
        body = translate("cabinet.reset_body", self.language, {"link": link})
        return OutgoingMessage(ticket.channel, ticket.recipient, subject, body)


def add_auth_routes(router: APIRouter, cab: Cabinet) -> None:
    AuthPages(cab).register(router)


class AuthPages:
    """Sign-in, sign-up, the password reset and Telegram's login widget; one method a route."""

    def __init__(self, cab: Cabinet) -> None:
        self.cab = cab

    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [
                ("GET", "/sign-in", self.sign_in_form),
                ("POST", "/sign-in", self.sign_in),
                ("GET", "/sign-up", self.sign_up_form),
                ("POST", "/sign-up", self.sign_up),
                ("GET", "/password/forgot", self.forgot_form),
                ("POST", "/password/forgot", self.forgot),
                ("GET", "/password/reset/{token}", self.reset_form),
                ("POST", "/password/reset/{token}", self.reset),
                ("POST", "/auth/telegram", self.telegram),
            ],
        )

    def sign_in_page(self, request: Request, status: int = 200, **context: Any) -> HTMLResponse:
        values = {"next": "", "login": "", "bot_name": self.cab.telegram_bot_name, **context}
        return self.cab.pages.render(request, "web/sign_in.html", values, status_code=status)

    async def sign_in_form(self, request: Request, next: str = "") -> Response:
        viewer = await current_viewer(request)
        if viewer is not None and viewer.staff is None:
            return RedirectResponse(safe(next, "/"), status_code=303)
        return self.sign_in_page(request, next=next)

    async def sign_in(
        self,
        request: Request,
        login: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "",
    ) -> Response:
        try:
            opened = await self.cab.use_cases.sign_in(login, password, client_address(request))
        except DomainError as error:
            errors = self.cab.pages.errors(error, self.cab.language(request))
            return self.sign_in_page(request, 400, next=next, login=login, errors=errors)
        return self.cab.signed_in(opened, safe(next, "/"))

    async def sign_up_form(self, request: Request) -> Response:
        viewer = await current_viewer(request)
        if viewer is not None and viewer.staff is None:
            return RedirectResponse("/", status_code=303)
        form = {"name": "", "login": "", "language": self.cab.language(request)}
        return self.cab.pages.render(request, "web/sign_up.html", {"form": form})

    async def sign_up(
        self,
        request: Request,
        name: Annotated[str, Form()] = "",
        login: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        password_confirm: Annotated[str, Form()] = "",
        language: Annotated[str, Form()] = "uk",
    ) -> Response:
        chosen = language if language in LANGUAGES else "uk"
        form = {"name": name, "login": login, "language": chosen}
        try:
            if password != password_confirm:
                raise DomainError.of("cabinet.password_mismatch")
            opened = await self.cab.use_cases.sign_up(login, password, name, chosen)
        except DomainError as error:
            errors = self.cab.pages.errors(error, self.cab.language(request))
            context = {"form": form, "errors": errors}
            return self.cab.pages.render(request, "web/sign_up.html", context, status_code=400)
        response = self.cab.signed_in(opened, "/")
        cookie = cookie_header(LANGUAGE_COOKIE, chosen, self.cab.secure, max_age=YEAR)
        response.headers.append("set-cookie", cookie.decode())
        return response

    async def forgot_form(self, request: Request) -> Response:
        return self.cab.pages.render(request, "web/forgot.html", {"login": ""})

    async def forgot(self, request: Request, login: Annotated[str, Form()] = "") -> Response:
        language = self.cab.language(request)
        try:
            # queued or not (an unknown login), the page says the same
            await self.cab.use_cases.request_password_reset(
                login, ResetMessage(self.cab.web_url, language)
            )
        except DomainError as error:
            context = {"login": login, "errors": self.cab.pages.errors(error, language)}
            return self.cab.pages.render(request, "web/forgot.html", context, status_code=400)
        notice = translate("cabinet.reset_sent", language)
        return self.cab.pages.render(request, "web/forgot.html", {"login": "", "sent": notice})

    async def reset_form(self, request: Request, token: str) -> Response:
        return self.cab.pages.render(request, "web/reset.html", {"token": token})

    async def reset(
        self,
        request: Request,
        token: str,
        password: Annotated[str, Form()] = "",
        password_confirm: Annotated[str, Form()] = "",
    ) -> Response:
        try:
            if password != password_confirm:
                raise DomainError.of("cabinet.password_mismatch")
            opened = await self.cab.use_cases.reset_password(token, password)
        except DomainError as error:
            context = {
                "token": token,
                "errors": self.cab.pages.errors(error, self.cab.language(request)),
            }
            return self.cab.pages.render(request, "web/reset.html", context, status_code=400)
        return self.cab.signed_in(opened, "/?done=password")

    async def telegram(self, request: Request) -> Response:
        # The widget's fields come as a form the page posts with its CSRF token (site.js), never
        # as a link: a link would let another site sign a browser into someone else's account.
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        try:
            opened = await self.cab.use_cases.sign_in_with_telegram(self.cab.telegram_user(fields))
        except DomainError as error:
            errors = self.cab.pages.errors(error, self.cab.language(request))
            return self.sign_in_page(request, 400, errors=errors)
        return self.cab.signed_in(opened, "/")
