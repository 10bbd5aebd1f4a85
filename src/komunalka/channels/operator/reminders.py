"""The administrator's view of reminders (``/operator/reminders``): per supplier and period,
each rule's day, its counts by outcome, whom it would reach now, and pause / resume."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.notifications.manage_reminders import RuleChange
from komunalka.channels.operator.use_cases import OperatorUseCases
from komunalka.channels.operator.views import ADMINS
from komunalka.channels.pages.routes import add_pages, not_found_page
from komunalka.channels.pages.templating import Pages
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.reminders import RuleKind

AdminViewer = Annotated[Viewer, Depends(ADMINS)]

# The outcomes staff read in the table, in this order; the rest are summed as "other".
COLUMNS = ("planned", "sent", "merged", "skipped", "failed", "unreachable", "unknown")


class ReminderPages:
    def __init__(self, use_cases: OperatorUseCases, pages: Pages) -> None:
        self.use_cases = use_cases
        self.pages = pages

    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [
                ("GET", "/reminders", self.suppliers),
                ("GET", "/reminders/{code}", self.supplier),
                ("POST", "/reminders/{code}/{kind}", self.change),
            ],
        )

    async def suppliers(self, request: Request, viewer: AdminViewer) -> Response:
        assert viewer.staff is not None
        records = await self.use_cases.list_suppliers(viewer.staff)
        return self.pages.render(request, "operator/reminders_list.html", {"records": records})

    async def supplier(
        self, request: Request, code: str, viewer: AdminViewer, period: str = ""
    ) -> Response:
        try:
            wanted = BillingPeriod.parse(period) if period else None
            view = await self.use_cases.show_reminders(viewer.staff, code, wanted)
        except DomainError:
            return not_found_page(self.pages, request, "operator.page_not_found")
        rows = [
            {
                "view": item,
                "cells": [item.counts.get(c, 0) for c in COLUMNS],
                "other": sum(n for s, n in item.counts.items() if s not in COLUMNS),
            }
            for item in view.rules
        ]
        context = {"view": view, "rows": rows, "columns": COLUMNS}
        return self.pages.render(request, "operator/reminders.html", context)

    async def change(self, request: Request, code: str, kind: str, viewer: AdminViewer) -> Response:
        form = await request.form()
        action = form.get("action")
        try:
            rule_kind = RuleKind(kind)
            change = {
                "pause": RuleChange(rule_kind, paused=True),
                "resume": RuleChange(rule_kind, paused=False),
                "enable": RuleChange(rule_kind, enabled=True),
                "disable": RuleChange(rule_kind, enabled=False),
            }[str(action)]
            await self.use_cases.change_reminder_rule(viewer.staff, code, change)
        except (DomainError, ValueError, KeyError):
            return not_found_page(self.pages, request, "operator.page_not_found")
        period = form.get("period") or ""
        suffix = f"?period={period}&saved=1" if period else "?saved=1"
        return RedirectResponse(f"/operator/reminders/{code}{suffix}", status_code=303)
