"""The portal's settings: the submission window's rule, early sending and the period file's
format, and the tariffs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.suppliers.configure_supplier import ZONES, TariffRequest
from komunalka.application.suppliers.export_readings import FORMATS
from komunalka.application.suppliers.supplier_access import SupplierChoice
from komunalka.channels.pages.routes import add_pages
from komunalka.channels.pages.templating import language_of
from komunalka.channels.supplier.common import (
    Choose,
    Errors,
    PortalPages,
    Render,
    SignedIn,
    member,
    window_rows,
)
from komunalka.channels.supplier.use_cases import SupplierUseCases
from komunalka.domain.errors import DomainError
from komunalka.i18n import translate


def add_settings_routes(
    router: APIRouter, use_cases: SupplierUseCases, choose: Choose, render: Render, errors: Errors
) -> None:
    SettingsPages(use_cases, choose, render, errors).register(router)


class SettingsPages(PortalPages):
    """The window and tariffs forms; one method a route."""

    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [
                ("GET", "/window", self.window_form),
                ("POST", "/window", self.set_window),
                ("POST", "/delivery", self.set_delivery),
                ("POST", "/photos", self.set_photo_keeping),
                ("GET", "/tariffs", self.tariffs_form),
                ("POST", "/tariffs", self.add_tariff),
            ],
        )

    async def window_form(
        self, request: Request, viewer: SignedIn, supplier: str | None = None
    ) -> Response:
        return await self._window_page(request, viewer, await self.choose(viewer, supplier), {})

    async def set_window(
        self,
        request: Request,
        viewer: SignedIn,
        rule: Annotated[str, Form(max_length=100)] = "",
        supplier: str | None = None,
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        try:
            await self.use_cases.set_window_rule(member(viewer), choice.supplier.code, rule)
        except DomainError as error:
            extra = {"errors": self.errors(request, viewer, error), "typed": rule}
            return await self._window_page(request, viewer, choice, extra, 400)
        choice = await self.choose(viewer, choice.supplier.code)
        lang = language_of(request, viewer)
        notice = translate("portal.window_saved", lang)
        return await self._window_page(request, viewer, choice, {"notice": notice})

    async def set_delivery(
        self,
        request: Request,
        viewer: SignedIn,
        early_days: Annotated[str, Form(max_length=10)] = "",
        file_format: Annotated[str, Form(max_length=10)] = "",
        supplier: str | None = None,
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        try:
            await self.use_cases.set_delivery(
                member(viewer), choice.supplier.code, early_days, file_format
            )
        except DomainError as error:
            typed = {"early_days": early_days, "file_format": file_format}
            extra = {"delivery_errors": self.errors(request, viewer, error), "delivery": typed}
            return await self._window_page(request, viewer, choice, extra, 400)
        choice = await self.choose(viewer, choice.supplier.code)
        notice = translate("portal.delivery_saved", language_of(request, viewer))
        return await self._window_page(request, viewer, choice, {"notice": notice})

    async def set_photo_keeping(
        self,
        request: Request,
        viewer: SignedIn,
        days: Annotated[str, Form(max_length=10)] = "",
        supplier: str | None = None,
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        try:
            await self.use_cases.set_photo_keeping(member(viewer), choice.supplier.code, days)
        except DomainError as error:
            extra = {"photo_errors": self.errors(request, viewer, error), "photo_typed": days}
            return await self._window_page(request, viewer, choice, extra, 400)
        notice = translate("portal.photos_saved", language_of(request, viewer))
        return await self._window_page(request, viewer, choice, {"notice": notice})

    async def tariffs_form(
        self, request: Request, viewer: SignedIn, supplier: str | None = None
    ) -> Response:
        return await self._tariffs_page(request, viewer, await self.choose(viewer, supplier), {})

    async def add_tariff(
        self,
        request: Request,
        viewer: SignedIn,
        service: Annotated[str, Form(max_length=20)] = "",
        zone: Annotated[str, Form(max_length=20)] = "*",
        price: Annotated[str, Form(max_length=40)] = "",
        effective_from: Annotated[str, Form(max_length=20)] = "",
        supplier: str | None = None,
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        typed = TariffRequest(service, zone, price, effective_from)
        try:
            await self.use_cases.set_tariff(member(viewer), choice.supplier.code, typed)
        except DomainError as error:
            extra = {"errors": self.errors(request, viewer, error), "typed": typed}
            return await self._tariffs_page(request, viewer, choice, extra, 400)
        notice = translate("portal.tariff_saved", language_of(request, viewer))
        return await self._tariffs_page(request, viewer, choice, {"notice": notice})

    async def _window_page(
        self,
        request: Request,
        viewer: Viewer,
        choice: SupplierChoice,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> HTMLResponse:
        settings = await self.use_cases.supplier_settings(member(viewer), choice.supplier.code)
        window = settings.supplier.window
        context = {
            "settings": settings,
            "rule": window.ranges_text,
            "window_rows": window_rows(choice, settings.windows),
            "formats": FORMATS,
            "delivery": {
                "early_days": str(window.early_days),
                "file_format": settings.file_format,
            },
            **extra,
        }
        return self.render(request, viewer, "supplier/window.html", choice, context, status_code)

    async def _tariffs_page(
        self,
        request: Request,
        viewer: Viewer,
        choice: SupplierChoice,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> HTMLResponse:
        settings = await self.use_cases.supplier_settings(member(viewer), choice.supplier.code)
        context = {"settings": settings, "zones": ZONES, "typed": {}, **extra}
        return self.render(request, viewer, "supplier/tariffs.html", choice, context, status_code)
