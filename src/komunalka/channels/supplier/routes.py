"""The supplier portal (`/supplier`): parse → use case → render. Supplier staff see their own
supplier only; an administrator picks one (``?supplier=<code>``). Every route needs one of these
two roles, and the use cases check the supplier again (``can_manage_supplier``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.suppliers import formats
from komunalka.application.suppliers.files import JobRunner
from komunalka.application.suppliers.ports import NonSubmitter
from komunalka.application.suppliers.supplier_access import SupplierChoice
from komunalka.channels.pages.routes import add_pages
from komunalka.channels.pages.security import PageNotFound, csrf_protect
from komunalka.channels.pages.templating import Pages, language_of
from komunalka.channels.supplier.common import (
    BOM,
    MEDIA_TYPES,
    PortalPages,
    SignedIn,
    attachment,
    member,
    period_or_current,
    recent_periods,
    window_rows,
)
from komunalka.channels.supplier.deliveries import add_delivery_routes
from komunalka.channels.supplier.downloads import add_download_routes
from komunalka.channels.supplier.registry import add_registry_routes
from komunalka.channels.supplier.reminders import add_reminder_routes
from komunalka.channels.supplier.settings import add_settings_routes
from komunalka.channels.supplier.tokens import add_token_routes
from komunalka.channels.supplier.use_cases import SupplierUseCases
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
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
    "terminal": "portal.channel_terminal",
    "sms": "portal.channel_sms",
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

    OverviewPages(use_cases, choose, render, errors).register(router)
    add_settings_routes(router, use_cases, choose, render, errors)
    add_reminder_routes(router, use_cases, choose, render, errors)
    add_registry_routes(router, use_cases, choose, render, errors, jobs)
    add_download_routes(router, use_cases, choose, render, errors)
    add_token_routes(router, use_cases, choose, render, errors)
    add_delivery_routes(router, use_cases, choose, render, errors)
    return router


class OverviewPages(PortalPages):
    """The period's overview and its non-submitters (a page and the whole list as CSV); one
    method a route."""

    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [("GET", "", self.overview), ("GET", "/non-submitters", self.non_submitters)],
        )
        router.add_api_route("/non-submitters.csv", self.non_submitters_csv, methods=["GET"])

    async def overview(
        self, request: Request, viewer: SignedIn, supplier: str | None = None, period: str = ""
    ) -> Response:
        use_cases = self.use_cases
        choice = await self.choose(viewer, supplier)
        current = await period_or_current(use_cases, viewer, choice, None)
        try:
            chosen = await period_or_current(use_cases, viewer, choice, period)
        except DomainError as error:
            problems = self.errors(request, viewer, error)
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
            "window_rows": window_rows(choice, settings.windows),
            "periods": recent_periods(current),
            "errors": problems,
            "day_rows": [(d.strftime("%d.%m"), n) for d, n in stats.by_day],
            "channel_rows": [
                (translate(CHANNELS.get(c, "portal.channel_other"), lang), n)
                for c, n in stats.by_channel
            ],
        }
        return self.render(request, viewer, "supplier/overview.html", choice, context)

    async def non_submitters(
        self, request: Request, viewer: SignedIn, supplier: str | None = None, period: str = ""
    ) -> Response:
        use_cases = self.use_cases
        choice = await self.choose(viewer, supplier)
        current = await period_or_current(use_cases, viewer, choice, None)
        try:
            chosen = await period_or_current(use_cases, viewer, choice, period)
        except DomainError as error:
            context: dict[str, Any] = {
                "errors": self.errors(request, viewer, error),
                "periods": recent_periods(current),
            }
            template = "supplier/non_submitters.html"
            return self.render(request, viewer, template, choice, context, 400)
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
        return self.render(request, viewer, "supplier/non_submitters.html", choice, context)

    async def non_submitters_csv(
        self, viewer: SignedIn, period: str, supplier: str | None = None
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        try:
            chosen = BillingPeriod.parse(period)
        except DomainError as error:
            raise PageNotFound("portal.not_found") from error
        rows = self.use_cases.non_submitters(member(viewer), choice.supplier.code, chosen)

        async def lines() -> AsyncIterator[bytes]:
            yield BOM
            async for chunk in formats.non_submitters_csv(rows):
                yield chunk

        name = f"{choice.supplier.code}-{chosen}-non-submitters.csv"
        return StreamingResponse(lines(), media_type=MEDIA_TYPES["csv"], headers=attachment(name))
