"""The supplier portal (`/supplier`): parse → use case → render. Supplier staff see their own
supplier only; an administrator picks one (``?supplier=<code>``). Every route needs one of these
two roles, and the use cases check the supplier again (``can_manage_supplier``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.suppliers import formats
from komunalka.application.suppliers.configure_supplier import ZONES, TariffRequest
from komunalka.application.suppliers.files import JobRunner
from komunalka.application.suppliers.ports import NonSubmitter
from komunalka.application.suppliers.supplier_access import SupplierChoice
from komunalka.channels.pages.security import PageNotFound, csrf_protect
from komunalka.channels.pages.templating import Pages, language_of
from komunalka.channels.supplier.common import (
    BOM,
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
from komunalka.channels.supplier.downloads import add_download_routes
from komunalka.channels.supplier.registry import add_registry_routes
from komunalka.channels.supplier.tokens import add_token_routes
from komunalka.channels.supplier.use_cases import SupplierUseCases
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.windows import OpenWindow
from komunalka.i18n import translate

# Non-submitters listed on the page; the CSV download has them all.
LISTED = 200
NOT_FOUND_CODES = frozenset(
    {"supplier.not_found", "portal.upload_not_found", "portal.token_not_found"}
)

# Channel names shown in the charts.
CHANNELS = {
    "api": "portal.channel_api",
    "telegram": "portal.channel_telegram",
    "viber": "portal.channel_viber",
    "web": "portal.channel_web",
    "phone": "portal.channel_phone",
    "service_center": "portal.channel_service_center",
    "registry": "portal.channel_registry",
    "cli": "portal.channel_cli",
}


def build_router(use_cases: SupplierUseCases, pages: Pages, jobs: JobRunner) -> APIRouter:
    router = APIRouter(
        prefix="/supplier", dependencies=[Depends(csrf_protect)], include_in_schema=False
    )

    async def choose(viewer: Viewer, code: str | None) -> SupplierChoice:
        try:
            return await use_cases.open_supplier(member(viewer), code)
        except DomainError as error:
            raise PageNotFound("portal.not_found") from error

    def render(
        request: Request,
        viewer: Viewer,
        template: str,
        choice: SupplierChoice,
        context: dict[str, Any],
        status_code: int = 200,
    ) -> HTMLResponse:
        values = {
            "supplier": choice.supplier,
            "choices": choice.choices,
            "sq": f"supplier={choice.supplier.code}",
            **context,
        }
        return pages.render(request, template, values, status_code=status_code, viewer=viewer)

    def errors(request: Request, viewer: Viewer, error: DomainError) -> list[str]:
        if error.code in NOT_FOUND_CODES:
            raise PageNotFound("portal.not_found") from error
        return pages.errors(error, language_of(request, viewer))

    _overview_routes(router, use_cases, choose, render, errors)
    _settings_routes(router, use_cases, choose, render, errors)
    add_registry_routes(router, use_cases, choose, render, errors, jobs)
    add_download_routes(router, use_cases, choose, render, errors)
    add_token_routes(router, use_cases, choose, render, errors)
    return router


def _window_rows(choice: SupplierChoice, windows: Sequence[OpenWindow]) -> list[tuple[str, ...]]:
    """Openings as the supplier's local days, the last one inclusive."""
    rule = choice.supplier.window
    return [
        (
            str(w.period),
            rule.local_today(w.opens_at).strftime("%d.%m.%Y"),
            rule.local_today(w.closes_at - timedelta(seconds=1)).strftime("%d.%m.%Y"),
        )
        for w in windows
    ]


def _overview_routes(
    router: APIRouter, use_cases: SupplierUseCases, choose: Choose, render: Render, errors: Errors
) -> None:
    @router.get("", response_class=HTMLResponse)
    async def overview(
        request: Request, viewer: SignedIn, supplier: str | None = None, period: str = ""
    ) -> Response:
        choice = await choose(viewer, supplier)
        current = await period_or_current(use_cases, viewer, choice, None)
        try:
            chosen = await period_or_current(use_cases, viewer, choice, period)
        except DomainError as error:
            problems = errors(request, viewer, error)
            chosen = current
        else:
            problems = []
        staff = member(viewer)
        stats = await use_cases.period_statistics(staff, choice.supplier.code, chosen)
        settings = await use_cases.supplier_settings(staff, choice.supplier.code)
        lang = language_of(request, viewer)
        context = {
            "stats": stats,
            "settings": settings,
            "window_rows": _window_rows(choice, settings.windows),
            "periods": recent_periods(current),
            "errors": problems,
            "day_rows": [(d.strftime("%d.%m"), n) for d, n in stats.by_day],
            "channel_rows": [
                (translate(CHANNELS.get(c, "portal.channel_other"), lang), n)
                for c, n in stats.by_channel
            ],
        }
        return render(request, viewer, "supplier/overview.html", choice, context)

    @router.get("/non-submitters", response_class=HTMLResponse)
    async def non_submitters(
        request: Request, viewer: SignedIn, supplier: str | None = None, period: str = ""
    ) -> Response:
        choice = await choose(viewer, supplier)
        current = await period_or_current(use_cases, viewer, choice, None)
        try:
            chosen = await period_or_current(use_cases, viewer, choice, period)
        except DomainError as error:
            context: dict[str, Any] = {
                "errors": errors(request, viewer, error),
                "periods": recent_periods(current),
            }
            return render(request, viewer, "supplier/non_submitters.html", choice, context, 400)
        staff = member(viewer)
        stats = await use_cases.period_statistics(staff, choice.supplier.code, chosen)
        listed: list[NonSubmitter] = []
        async for row in use_cases.non_submitters(staff, choice.supplier.code, chosen):
            if len(listed) == LISTED:
                break
            listed.append(row)
        context = {
            "stats": stats,
            "rows": listed,
            "capped": stats.not_sent > len(listed),
            "periods": recent_periods(current),
            "period": str(chosen),
        }
        return render(request, viewer, "supplier/non_submitters.html", choice, context)

    @router.get("/non-submitters.csv")
    async def non_submitters_csv(
        viewer: SignedIn, period: str, supplier: str | None = None
    ) -> Response:
        choice = await choose(viewer, supplier)
        try:
            chosen = BillingPeriod.parse(period)
        except DomainError as error:
            raise PageNotFound("portal.not_found") from error
        rows = use_cases.non_submitters(member(viewer), choice.supplier.code, chosen)

        async def lines() -> AsyncIterator[bytes]:
            yield BOM
            async for chunk in formats.non_submitters_csv(rows):
                yield chunk

        name = f"{choice.supplier.code}-{chosen}-non-submitters.csv"
        return StreamingResponse(lines(), media_type=MEDIA_TYPES["csv"], headers=attachment(name))


def _settings_routes(
    router: APIRouter, use_cases: SupplierUseCases, choose: Choose, render: Render, errors: Errors
) -> None:
    async def window_page(
        request: Request,
        viewer: Viewer,
        choice: SupplierChoice,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> HTMLResponse:
        settings = await use_cases.supplier_settings(member(viewer), choice.supplier.code)
        context = {
            "settings": settings,
            "rule": str(settings.supplier.window),
            "window_rows": _window_rows(choice, settings.windows),
            **extra,
        }
        return render(request, viewer, "supplier/window.html", choice, context, status_code)

    @router.get("/window", response_class=HTMLResponse)
    async def window_form(
        request: Request, viewer: SignedIn, supplier: str | None = None
    ) -> Response:
        return await window_page(request, viewer, await choose(viewer, supplier), {})

    @router.post("/window", response_class=HTMLResponse)
    async def set_window(
        request: Request,
        viewer: SignedIn,
        rule: Annotated[str, Form(max_length=100)] = "",
        supplier: str | None = None,
    ) -> Response:
        choice = await choose(viewer, supplier)
        try:
            await use_cases.set_window_rule(member(viewer), choice.supplier.code, rule)
        except DomainError as error:
            extra = {"errors": errors(request, viewer, error), "typed": rule}
            return await window_page(request, viewer, choice, extra, 400)
        choice = await choose(viewer, choice.supplier.code)
        lang = language_of(request, viewer)
        notice = translate("portal.window_saved", lang)
        return await window_page(request, viewer, choice, {"notice": notice})

    async def tariffs_page(
        request: Request,
        viewer: Viewer,
        choice: SupplierChoice,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> HTMLResponse:
        settings = await use_cases.supplier_settings(member(viewer), choice.supplier.code)
        context = {"settings": settings, "zones": ZONES, "typed": {}, **extra}
        return render(request, viewer, "supplier/tariffs.html", choice, context, status_code)

    @router.get("/tariffs", response_class=HTMLResponse)
    async def tariffs_form(
        request: Request, viewer: SignedIn, supplier: str | None = None
    ) -> Response:
        return await tariffs_page(request, viewer, await choose(viewer, supplier), {})

    @router.post("/tariffs", response_class=HTMLResponse)
    async def add_tariff(
        request: Request,
        viewer: SignedIn,
        service: Annotated[str, Form(max_length=20)] = "",
        zone: Annotated[str, Form(max_length=20)] = "*",
        price: Annotated[str, Form(max_length=40)] = "",
        effective_from: Annotated[str, Form(max_length=20)] = "",
        supplier: str | None = None,
    ) -> Response:
        choice = await choose(viewer, supplier)
        typed = TariffRequest(service, zone, price, effective_from)
        try:
            await use_cases.set_tariff(member(viewer), choice.supplier.code, typed)
        except DomainError as error:
            extra = {"errors": errors(request, viewer, error), "typed": typed}
            return await tariffs_page(request, viewer, choice, extra, 400)
        notice = translate("portal.tariff_saved", language_of(request, viewer))
        return await tariffs_page(request, viewer, choice, {"notice": notice})
