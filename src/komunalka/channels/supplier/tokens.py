"""The portal's pull tokens: issue (shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.suppliers.supplier_access import SupplierChoice
from komunalka.channels.ids import BigId
from komunalka.channels.pages.routes import add_pages
from komunalka.channels.pages.security import PageNotFound
from komunalka.channels.pages.templating import language_of
from komunalka.channels.supplier.common import (
    Choose,
    Errors,
    PortalPages,
    Render,
    SignedIn,
    member,
)
from komunalka.channels.supplier.use_cases import SupplierUseCases
from komunalka.domain.errors import DomainError
from komunalka.i18n import translate


def add_token_routes(
    router: APIRouter, use_cases: SupplierUseCases, choose: Choose, render: Render, errors: Errors
) -> None:
    TokenPages(use_cases, choose, render, errors).register(router)


class TokenPages(PortalPages):
    """The tokens page, issuing and revoking; one method a route."""

    def register(self, router: APIRouter) -> None:
        add_pages(router, [("GET", "/tokens", self.tokens_list), ("POST", "/tokens", self.issue)])
        router.add_api_route("/tokens/{token_id}/revoke", self.revoke, methods=["POST"])

    async def tokens_list(
        self, request: Request, viewer: SignedIn, supplier: str | None = None, revoked: int = 0
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        lang = language_of(request, viewer)
        extra = {"notice": translate("portal.token_revoked", lang)} if revoked else {}
        return await self._page(request, viewer, choice, extra)

    async def issue(
        self,
        request: Request,
        viewer: SignedIn,
        label: Annotated[str, Form(max_length=200)] = "",
        supplier: str | None = None,
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        try:
            issued = await self.use_cases.issue_supplier_token(
                member(viewer), choice.supplier.code, label
            )
        except DomainError as error:
            extra = {"errors": self.errors(request, viewer, error), "label": label}
            return await self._page(request, viewer, choice, extra, 400)
        response = await self._page(request, viewer, choice, {"issued": issued})
        response.headers["Cache-Control"] = "no-store"  # the secret is shown this once
        return response

    async def revoke(
        self, request: Request, viewer: SignedIn, token_id: BigId, supplier: str | None = None
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        code = choice.supplier.code
        try:
            await self.use_cases.revoke_supplier_token(member(viewer), code, token_id)
        except DomainError as error:
            raise PageNotFound("portal.not_found") from error
        where = f"/supplier/tokens?supplier={choice.supplier.code}&revoked=1"
        return RedirectResponse(where, status_code=303)

    async def _page(
        self,
        request: Request,
        viewer: Viewer,
        choice: SupplierChoice,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> HTMLResponse:
        tokens = await self.use_cases.list_supplier_tokens(member(viewer), choice.supplier.code)
        context = {"tokens": tokens, **extra}
        return self.render(request, viewer, "supplier/tokens.html", choice, context, status_code)
