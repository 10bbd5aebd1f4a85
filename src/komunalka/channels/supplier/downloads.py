"""The portal's export: a period's readings as CSV, JSON or XLSX, streamed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from komunalka.application.suppliers.export_readings import FORMATS
from komunalka.channels.supplier.common import (
    MEDIA_TYPES,
    Choose,
    Errors,
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
    @router.get("/export", response_class=HTMLResponse)
    async def export_form(
        request: Request, viewer: SignedIn, supplier: str | None = None
    ) -> Response:
        choice = await choose(viewer, supplier)
        current = await period_or_current(use_cases, viewer, choice, None)
        context = {"periods": recent_periods(current), "formats": list(FORMATS)}
        return render(request, viewer, "supplier/export.html", choice, context)

    @router.get("/export/download", response_class=HTMLResponse)
    async def download(
        request: Request,
        viewer: SignedIn,
        period: str = "",
        format: str = "csv",
        supplier: str | None = None,
    ) -> Response:
        choice = await choose(viewer, supplier)
        try:
            chosen = BillingPeriod.parse(period)
            if format not in FORMATS:
                raise DomainError.of("portal.bad_format")
        except DomainError as error:
            current = await period_or_current(use_cases, viewer, choice, None)
            context = {
                "periods": recent_periods(current),
                "formats": list(FORMATS),
                "errors": errors(request, viewer, error),
            }
            return render(request, viewer, "supplier/export.html", choice, context, 400)
        body = use_cases.export_readings.stream(
            member(viewer), choice.supplier.code, chosen, format
        )
        name = f"{choice.supplier.code}-{chosen}-readings.{format}"
        return StreamingResponse(body, media_type=MEDIA_TYPES[format], headers=attachment(name))
