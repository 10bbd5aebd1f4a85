"""The portal's export: a period's readings as CSV, JSON or XLSX, streamed; and the period files
written at each window's close, listed and downloaded."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from komunalka.application.suppliers.export_readings import FORMATS
from komunalka.application.suppliers.supplier_access import SupplierChoice
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
            [
                ("GET", "/export", self.export_form),
                ("GET", "/export/download", self.download),
                ("GET", "/periods/{period}/file", self.period_file),
            ],
        )

    async def export_form(
        self, request: Request, viewer: SignedIn, supplier: str | None = None
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        return await self._export_page(request, viewer, choice, {})

    async def period_file(
        self, request: Request, viewer: SignedIn, period: str, supplier: str | None = None
    ) -> Response:
        """A period's final file, as written when its window closed."""
        choice = await self.choose(viewer, supplier)
        try:
            chosen = BillingPeriod.parse(period)
            kept = await self.use_cases.read_period_file(
                member(viewer), choice.supplier.code, chosen
            )
        except DomainError as error:
            extra = {"errors": self.errors(request, viewer, error)}
            return await self._export_page(request, viewer, choice, extra, 404)
        name = f"{kept.supplier_code}-{kept.file.period}-final.{kept.file.format}"
        media = MEDIA_TYPES[kept.file.format]
        return Response(kept.content, media_type=media, headers=attachment(name))

    async def _export_page(
        self,
        request: Request,
        viewer: SignedIn,
        choice: SupplierChoice,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> Response:
        current = await period_or_current(self.use_cases, viewer, choice, None)
        files = await self.use_cases.period_files(member(viewer), choice.supplier.code)
        context = {
            "periods": recent_periods(current),
            "formats": list(FORMATS),
            "period_files": files,
            **extra,
        }
        return self.render(request, viewer, "supplier/export.html", choice, context, status_code)

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
            extra = {"errors": self.errors(request, viewer, error)}
            return await self._export_page(request, viewer, choice, extra, 400)
        body = self.use_cases.export_readings.stream(
            member(viewer), choice.supplier.code, chosen, format
        )
        name = f"{choice.supplier.code}-{chosen}-readings.{format}"
        return StreamingResponse(body, media_type=MEDIA_TYPES[format], headers=attachment(name))
