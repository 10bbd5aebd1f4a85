"""The portal's deliveries page (``/supplier/deliveries``): per period, what was accepted, what
the supplier's system has (acknowledged, or in a webhook batch answered 2xx) and what waits;
when it last fetched; its webhook (URL, a new secret shown once) and the batches that failed,
each of which can be sent again (ADR 0017)."""

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
from komunalka.domain.periods import BillingPeriod
from komunalka.i18n import translate


def add_delivery_routes(
    router: APIRouter, use_cases: SupplierUseCases, choose: Choose, render: Render, errors: Errors
) -> None:
    DeliveryPages(use_cases, choose, render, errors).register(router)


class DeliveryPages(PortalPages):
    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [
                ("GET", "/deliveries", self.overview),
                ("POST", "/deliveries/webhook", self.set_webhook),
                ("POST", "/deliveries/secret", self.new_secret),
            ],
        )
        router.add_api_route("/deliveries/batches/{batch_id}/resend", self.resend, methods=["POST"])

    async def overview(
        self, request: Request, viewer: SignedIn, supplier: str | None = None, resent: int = 0
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        lang = language_of(request, viewer)
        extra = {"notice": translate("portal.webhook_resent", lang)} if resent else {}
        return await self._page(request, viewer, choice, extra)

    async def set_webhook(
        self,
        request: Request,
        viewer: SignedIn,
        url: Annotated[str, Form(max_length=4000)] = "",
        supplier: str | None = None,
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        manage = self.use_cases.manage_webhook
        try:
            secret = await manage.set_url(member(viewer), choice.supplier.code, url)
        except DomainError as error:
            extra = {"errors": self.errors(request, viewer, error), "url": url}
            return await self._page(request, viewer, choice, extra, 400)
        lang = language_of(request, viewer)
        saved = "portal.webhook_saved" if url.strip() else "portal.webhook_removed"
        return await self._secret_page(request, viewer, choice, secret, translate(saved, lang))

    async def new_secret(
        self, request: Request, viewer: SignedIn, supplier: str | None = None
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        try:
            secret = await self.use_cases.manage_webhook.new_secret(
                member(viewer), choice.supplier.code
            )
        except DomainError as error:
            extra = {"errors": self.errors(request, viewer, error)}
            return await self._page(request, viewer, choice, extra, 400)
        return await self._secret_page(request, viewer, choice, secret, None)

    async def resend(
        self, request: Request, viewer: SignedIn, batch_id: BigId, supplier: str | None = None
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        code = choice.supplier.code
        try:
            await self.use_cases.manage_webhook.resend(member(viewer), code, batch_id)
        except DomainError as error:
            raise PageNotFound("portal.not_found") from error
        return RedirectResponse(f"/supplier/deliveries?supplier={code}&resent=1", status_code=303)

    async def _secret_page(
        self,
        request: Request,
        viewer: Viewer,
        choice: SupplierChoice,
        secret: str | None,
        notice: str | None,
    ) -> HTMLResponse:
        extra: dict[str, Any] = {"secret": secret, "notice": notice}
        response = await self._page(request, viewer, choice, extra)
        response.headers["Cache-Control"] = "no-store"  # the secret is shown this once
        return response

    async def _page(
        self,
        request: Request,
        viewer: Viewer,
        choice: SupplierChoice,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> HTMLResponse:
        code = choice.supplier.code
        deliveries = await self.use_cases.feed_deliveries(member(viewer), code)
        webhook = await self.use_cases.manage_webhook.show(member(viewer), code)
        periods = [(str(BillingPeriod.from_index(p.period)), p) for p in deliveries.periods]
        context = {"deliveries": deliveries, "periods": periods, "webhook": webhook, **extra}
        return self.render(
            request, viewer, "supplier/deliveries.html", choice, context, status_code
        )
