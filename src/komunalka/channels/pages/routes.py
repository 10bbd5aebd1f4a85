"""Routes every web door shares: the staff sign-in and sign-out, the language switch, and how
the pages answer a missing session, a missing role or a forged form."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.channels.pages.security import (
    LANGUAGE_COOKIE,
    NOT_PAGES,
    SESSION_COOKIE,
    CsrfRejected,
    Forbidden,
    PageNotFound,
    SignInRequired,
    client_address,
    cookie_header,
    csrf_protect,
    current_viewer,
    rotate_csrf,
    safe_next,
    signed_in_redirect,
)
from komunalka.channels.pages.templating import Pages, language_of
from komunalka.channels.pages.use_cases import PagesUseCases
from komunalka.domain.errors import DomainError
from komunalka.domain.staff import StaffRole
from komunalka.i18n import LANGUAGES


def staff_home(role: StaffRole) -> str:
    return "/supplier" if role is StaffRole.SUPPLIER else "/operator"


PageHandler = Callable[..., Awaitable[Response]]


def add_pages(router: APIRouter, routes: Iterable[tuple[str, str, PageHandler]]) -> None:
    """Registers routes that answer with a page, in order: (method, path, handler)."""
    for method, path, handler in routes:
        router.add_api_route(path, handler, methods=[method], response_class=HTMLResponse)


def build_router(use_cases: PagesUseCases, pages: Pages, secure: bool) -> APIRouter:
    router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
    SharedPages(use_cases, pages, secure).register(router)
    return router


class SharedPages:
    """The routes every web door shares; one method a route."""

    def __init__(self, use_cases: PagesUseCases, pages: Pages, secure: bool) -> None:
        self.use_cases = use_cases
        self.pages = pages
        self.secure = secure

    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [
                ("GET", "/staff/sign-in", self.staff_sign_in_form),
                ("POST", "/staff/sign-in", self.staff_sign_in),
            ],
        )
        router.add_api_route("/sign-out", self.sign_out, methods=["POST"])
        router.add_api_route("/language", self.switch_language, methods=["POST"])

    async def staff_sign_in_form(self, request: Request, next: str = "") -> Response:
        viewer = await current_viewer(request)
        if viewer is not None and viewer.staff is not None:
            return RedirectResponse(staff_home(viewer.staff.role), status_code=303)
        context = {"next": next, "login": ""}
        return self.pages.render(request, "pages/staff_sign_in.html", context)

    async def staff_sign_in(
        self,
        request: Request,
        login: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "",
    ) -> Response:
        use_cases, pages = self.use_cases, self.pages
        try:
            opened = await use_cases.sign_in_staff(login, password, client_address(request))
        except DomainError as error:
            context = {
                "next": next,
                "login": login,
                "errors": pages.errors(error, language_of(request)),
            }
            return pages.render(request, "pages/staff_sign_in.html", context, status_code=400)
        viewer = await use_cases.resolve_session(opened.token)
        staff = viewer.staff if viewer is not None else None
        home = staff_home(staff.role) if staff is not None else "/operator"
        now = use_cases.clock.now()
        target = safe_next(next, home)
        return signed_in_redirect(opened.token, opened.expires_at, target, now, self.secure)

    async def sign_out(self, request: Request) -> Response:
        viewer = await current_viewer(request)
        await self.use_cases.sign_out(request.cookies.get(SESSION_COOKIE))
        home = "/staff/sign-in" if viewer is not None and viewer.staff is not None else "/"
        response = RedirectResponse(home, status_code=303)
        response.headers.append(
            "set-cookie", cookie_header(SESSION_COOKIE, "", self.secure, max_age=0).decode()
        )
        rotate_csrf(response, self.secure)
        return response

    async def switch_language(
        self, language: Annotated[str, Form()] = "uk", next: Annotated[str, Form()] = "/"
    ) -> Response:
        chosen = language if language in LANGUAGES else "uk"
        response = RedirectResponse(safe_next(next, "/"), status_code=303)
        year = 365 * 24 * 3600
        header = cookie_header(LANGUAGE_COOKIE, chosen, self.secure, max_age=year)
        response.headers.append("set-cookie", header.decode())
        return response


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API, a webhook or a file)."""
    accepts = request.headers.get("accept", "")
    return not request.url.path.startswith(NOT_PAGES) and "text/html" in accepts


def not_found_page(
    pages: Pages, request: Request, message: str = "pages.not_found", viewer: Viewer | None = None
) -> HTMLResponse:
    """The one 404 page of every web door; `message` may say what was not found."""
    context = {"title": "pages.not_found_title", "message": message}
    return pages.render(request, "pages/message.html", context, status_code=404, viewer=viewer)


def http_error_page(pages: Pages, request: Request, status_code: int) -> Response:
    """A missing page (404) or a wrong method (405) as a page in the reader's language."""
    if status_code == 404:
        return not_found_page(pages, request)
    context = {"title": "pages.error_title", "message": "pages.error"}
    return pages.render(request, "pages/message.html", context, status_code=status_code)


def install_handlers(app: FastAPI, pages: Pages) -> None:
    """How pages answer the exceptions of `security`."""

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": exc.location})
        return RedirectResponse(exc.location, status_code=303)

    async def forbidden(request: Request, exc: Exception) -> Response:
        context = {"title": "pages.forbidden_title", "message": "pages.forbidden"}
        return pages.render(request, "pages/message.html", context, status_code=403)

    async def csrf_rejected(request: Request, exc: Exception) -> Response:
        context = {"title": "pages.csrf_title", "message": "pages.csrf"}
        return pages.render(request, "pages/message.html", context, status_code=403)

    async def page_not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageNotFound)
        return not_found_page(pages, request, exc.message)

    app.add_exception_handler(PageNotFound, page_not_found)
    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(CsrfRejected, csrf_rejected)
