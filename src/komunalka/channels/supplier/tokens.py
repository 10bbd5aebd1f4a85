"""The portal's pull tokens: issue (shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.suppliers.supplier_access import SupplierChoice
from komunalka.channels.pages.security import PageNotFound
from komunalka.channels.pages.templating import language_of
from komunalka.channels.supplier.common import Choose, Errors, Render, SignedIn, member
from komunalka.channels.supplier.use_cases import SupplierUseCases
from komunalka.domain.errors import DomainError
from komunalka.i18n import translate


def add_token_routes(
    router: APIRouter, use_cases: SupplierUseCases, choose: Choose, render: Render, errors: Errors
) -> None:
    async def tokens_page(
        request: Request,
        viewer: Viewer,
        choice: SupplierChoice,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> HTMLResponse:
        tokens = await use_cases.list_supplier_tokens(member(viewer), choice.supplier.code)
        context = {"tokens": tokens, **extra}
        return render(request, viewer, "supplier/tokens.html", choice, context, status_code)

    @router.get("/tokens", response_class=HTMLResponse)
    async def tokens_list(
        request: Request, viewer: SignedIn, supplier: str | None = None, revoked: int = 0
    ) -> Response:
        choice = await choose(viewer, supplier)
        lang = language_of(request, viewer)
        extra = {"notice": translate("portal.token_revoked", lang)} if revoked else {}
        return await tokens_page(request, viewer, choice, extra)

    @router.post("/tokens", response_class=HTMLResponse)
    async def issue(
        request: Request,
        viewer: SignedIn,
        label: Annotated[str, Form(max_length=200)] = "",
        supplier: str | None = None,
    ) -> Response:
        choice = await choose(viewer, supplier)
        try:
            issued = await use_cases.issue_supplier_token(
                member(viewer), choice.supplier.code, label
            )
        except DomainError as error:
            extra = {"errors": errors(request, viewer, error), "label": label}
            return await tokens_page(request, viewer, choice, extra, 400)
        response = await tokens_page(request, viewer, choice, {"issued": issued})
        response.headers["Cache-Control"] = "no-store"  # the secret is shown this once
        return response

    @router.post("/tokens/{token_id}/revoke")
    async def revoke(
        request: Request, viewer: SignedIn, token_id: int, supplier: str | None = None
    ) -> Response:
        choice = await choose(viewer, supplier)
        try:
            await use_cases.revoke_supplier_token(member(viewer), choice.supplier.code, token_id)
        except DomainError as error:
            raise PageNotFound("portal.not_found") from error
        where = f"/supplier/tokens?supplier={choice.supplier.code}&revoked=1"
        return RedirectResponse(where, status_code=303)
