"""The portal's reminder rules (``/supplier/reminders``): when each rule reaches the supplier's
residents, whether it is on, and how this period's reminders went."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.notifications.manage_reminders import RuleChange
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
)
from komunalka.channels.supplier.use_cases import SupplierUseCases
from komunalka.domain.errors import DomainError
from komunalka.domain.ids import is_ascii_number
from komunalka.domain.reminders import RuleKind
from komunalka.i18n import translate


def add_reminder_routes(
    router: APIRouter, use_cases: SupplierUseCases, choose: Choose, render: Render, errors: Errors
) -> None:
    ReminderRulePages(use_cases, choose, render, errors).register(router)


class ReminderRulePages(PortalPages):
    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [("GET", "/reminders", self.rules_form), ("POST", "/reminders", self.save_rules)],
        )

    async def rules_form(
        self, request: Request, viewer: SignedIn, supplier: str | None = None
    ) -> Response:
        return await self._page(request, viewer, await self.choose(viewer, supplier), {})

    async def save_rules(
        self, request: Request, viewer: SignedIn, supplier: str | None = None
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        form = await request.form()
        try:
            for kind in RuleKind:
                days = str(form.get(f"days_{kind.value}", "0")).strip() or "0"
                if not is_ascii_number(days) or len(days) > 4:
                    raise DomainError.of("reminders.bad_days", days=days, most=90)
                change = RuleChange(kind, int(days), enabled=bool(form.get(f"on_{kind.value}")))
                await self.use_cases.change_reminder_rule(
                    member(viewer), choice.supplier.code, change
                )
        except DomainError as error:
            extra = {"errors": self.errors(request, viewer, error)}
            return await self._page(request, viewer, choice, extra, 400)
        notice = translate("portal.reminders_saved", language_of(request, viewer))
        return await self._page(request, viewer, choice, {"notice": notice})

    async def _page(
        self,
        request: Request,
        viewer: Viewer,
        choice: SupplierChoice,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> HTMLResponse:
        view = await self.use_cases.show_reminders(member(viewer), choice.supplier.code)
        context = {"view": view, "adjustable": ("before_close", "verification_soon"), **extra}
        return self.render(request, viewer, "supplier/reminders.html", choice, context, status_code)
