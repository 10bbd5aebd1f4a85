"""The portal's export: a period's readings as CSV, JSON or XLSX, streamed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from komunalka.application.suppliers.export_readings import FORMATS
from komunalka.channels.pages.routes import add_pages
from komunalka.channels.supplier.common import (
    MEDIA_TYPES,
    Choose,
    Errors,
    PortalPages,
    Render,
    SignedIn,
    attachment,
    member,
    period_or_current,
    recent_periods,
)
from komunalka.channels.supplier.use_cases import SupplierUseCases
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod


def add_download_routes(
    router: APIRouter, use_cases: SupplierUseCases, choose: Choose, render: Render, errors: Errors
) -> None:
    DownloadPages(use_cases, choose, render, errors).register(router)


class DownloadPages(PortalPages):
    """The export form and the download; one method a route."""

    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [("GET", "/export", self.export_form), ("GET", "/export/download", self.download)],
        )

    async def export_form(
        self, request: Request, viewer: SignedIn, supplier: str | None = None
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        current = await period_or_current(self.use_cases, viewer, choice, None)
        context = {"periods": recent_periods(current), "formats": list(FORMATS)}
        return self.render(request, viewer, "supplier/export.html", choice, context)

    async def download(
        self,
        request: Request,
        viewer: SignedIn,
        period: str = "",
        format: str = "csv",
        supplier: str | None = None,
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        try:
            chosen = BillingPeriod.parse(period)
            if format not in FORMATS:
                raise DomainError.of("portal.bad_format")
        except DomainError as error:
            current = await period_or_current(self.use_cases, viewer, choice, None)
            context = {
                "periods": recent_periods(current),
                "formats": list(FORMATS),
                "errors": self.errors(request, viewer, error),
            }
            return self.render(request, viewer, "supplier/export.html", choice, context, 400)
        body = self.use_cases.export_readings.stream(
            member(viewer), choice.supplier.code, chosen, format
        )
        name = f"{choice.supplier.code}-{chosen}-readings.{format}"
        return StreamingResponse(body, media_type=MEDIA_TYPES[format], headers=attachment(name))
