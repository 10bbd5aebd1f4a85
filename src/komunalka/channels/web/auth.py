"""Signing up and in to the cabinet: e-mail or phone with a password, a one-time reset link, and
Telegram's Login Widget. Public pages: the limits and the checks live in the use cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from komunalka.application.identity.ports import ResetTicket
from komunalka.application.shared.ports import OutgoingMessage
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
    pages = cab.pages
    uc = cab.use_cases

    def sign_in_page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
        values = {"next": "", "login": "", "bot_name": cab.telegram_bot_name, **context}
        return pages.render(request, "web/sign_in.html", values, status_code=status)

    @router.get("/sign-in", response_class=HTMLResponse)
    async def sign_in_form(request: Request, next: str = "") -> Response:
        viewer = await current_viewer(request)
        if viewer is not None and viewer.staff is None:
            return RedirectResponse(safe(next, "/"), status_code=303)
        return sign_in_page(request, next=next)

    @router.post("/sign-in", response_class=HTMLResponse)
    async def sign_in(
        request: Request,
        login: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "",
    ) -> Response:
        try:
            opened = await uc.sign_in(login, password, client_address(request))
        except DomainError as error:
            errors = pages.errors(error, cab.language(request))
            return sign_in_page(request, 400, next=next, login=login, errors=errors)
        return cab.signed_in(opened, safe(next, "/"))

    @router.get("/sign-up", response_class=HTMLResponse)
    async def sign_up_form(request: Request) -> Response:
        viewer = await current_viewer(request)
        if viewer is not None and viewer.staff is None:
            return RedirectResponse("/", status_code=303)
        form = {"name": "", "login": "", "language": cab.language(request)}
        return pages.render(request, "web/sign_up.html", {"form": form})

    @router.post("/sign-up", response_class=HTMLResponse)
    async def sign_up(
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
            opened = await uc.sign_up(login, password, name, chosen)
        except DomainError as error:
            errors = pages.errors(error, cab.language(request))
            context = {"form": form, "errors": errors}
            return pages.render(request, "web/sign_up.html", context, status_code=400)
        response = cab.signed_in(opened, "/")
        cookie = cookie_header(LANGUAGE_COOKIE, chosen, cab.secure, max_age=YEAR)
        response.headers.append("set-cookie", cookie.decode())
        return response

    @router.get("/password/forgot", response_class=HTMLResponse)
    async def forgot_form(request: Request) -> Response:
        return pages.render(request, "web/forgot.html", {"login": ""})

    @router.post("/password/forgot", response_class=HTMLResponse)
    async def forgot(request: Request, login: Annotated[str, Form()] = "") -> Response:
        language = cab.language(request)
        try:
            # queued or not (an unknown login), the page says the same
            await uc.request_password_reset(login, ResetMessage(cab.web_url, language))
        except DomainError as error:
            context = {"login": login, "errors": pages.errors(error, language)}
            return pages.render(request, "web/forgot.html", context, status_code=400)
        notice = translate("cabinet.reset_sent", language)
        return pages.render(request, "web/forgot.html", {"login": "", "sent": notice})

    @router.get("/password/reset/{token}", response_class=HTMLResponse)
    async def reset_form(request: Request, token: str) -> Response:
        return pages.render(request, "web/reset.html", {"token": token})

    @router.post("/password/reset/{token}", response_class=HTMLResponse)
    async def reset(
        request: Request,
        token: str,
        password: Annotated[str, Form()] = "",
        password_confirm: Annotated[str, Form()] = "",
    ) -> Response:
        try:
            if password != password_confirm:
                raise DomainError.of("cabinet.password_mismatch")
            opened = await uc.reset_password(token, password)
        except DomainError as error:
            context = {"token": token, "errors": pages.errors(error, cab.language(request))}
            return pages.render(request, "web/reset.html", context, status_code=400)
        return cab.signed_in(opened, "/?done=password")

    @router.post("/auth/telegram", response_class=HTMLResponse)
    async def telegram(request: Request) -> Response:
        # The widget's fields come as a form the page posts with its CSRF token (site.js), never
        # as a link: a link would let another site sign a browser into someone else's account.
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        try:
            opened = await uc.sign_in_with_telegram(cab.telegram_user(fields))
        except DomainError as error:
            errors = pages.errors(error, cab.language(request))
            return sign_in_page(request, 400, errors=errors)
        return cab.signed_in(opened, "/")
