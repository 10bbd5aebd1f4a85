"""Sending readings: one form with every due register across the resident's accounts, the
previous values shown, "unchanged" in one click, warnings to confirm, and the receipts.

The form carries a client key made when it was drawn: a double submit (or the browser's resend)
takes effect once and shows the same receipts. The key stays the same while the form comes back
with errors or warnings (nothing was written then) and is new only for a new form."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.readings.list_my_meters import MeterOverview, PeriodStatus
from komunalka.application.readings.submit_readings import ReadingItem, SubmitReadingsRequest
from komunalka.channels.pages.security import require_resident
from komunalka.channels.web.common import Cabinet
from komunalka.domain.errors import DomainError, Severity, Violation
from komunalka.domain.values import format_value
from komunalka.i18n import translate

Resident = Annotated[Viewer, Depends(require_resident)]


@dataclass(slots=True)
class Row:
    """One register's line of the form."""

    overview: MeterOverview
    register: str
    previous: str = ""
    previous_at: str = ""
    value: str = ""
    same: bool = False
    errors: list[str] = field(default_factory=list)
    # (code, words) of warnings the resident may confirm
    warnings: list[tuple[str, str]] = field(default_factory=list)
    confirmed: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        return f"{self.overview.meter.id}.{self.register}"


def due_rows(overviews: Sequence[MeterOverview]) -> list[Row]:
    rows = []
    for o in overviews:
        if o.status is not PeriodStatus.DUE:
            continue
        for register in o.meter.registers:
            last = o.last.get(register)
            previous = format_value(last.value, o.meter.decimals) if last else ""
            shown_at = str(last.period) if last else ""
            rows.append(Row(o, register, previous, shown_at))
    return rows


def items_from(form: FormData) -> list[ReadingItem]:
    """Every filled-in register of the form (an empty one is skipped); "unchanged" stands for
    the previous value the form showed."""
    items = []
    for name, raw in form.multi_items():
        if not name.startswith("v.") or not isinstance(raw, str):
            continue
        meter, _, register = name[2:].partition(".")
        if not meter.isdigit() or not register:
            continue
        value = raw.strip()
        key = f"{meter}.{register}"
        if not value and form.get(f"same.{key}") == "yes":
            value = str(form.get(f"prev.{key}", "")).strip()
        if not value:
            continue
        confirm = frozenset(str(c) for c in form.getlist(f"confirm.{key}"))
        items.append(ReadingItem(int(meter), value, register, confirm))
    return items


def add_readings_routes(router: APIRouter, cab: Cabinet) -> None:
    pages = cab.pages
    uc = cab.use_cases

    def render(
        request: Request,
        viewer: Viewer,
        rows: list[Row],
        client_key: str,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        values = {"rows": rows, "client_key": client_key, **context}
        return pages.render(request, "web/readings.html", values, status_code=status, viewer=viewer)

    @router.get("/readings", response_class=HTMLResponse)
    async def readings_form(request: Request, viewer: Resident) -> Response:
        overviews = await uc.list_my_meters(viewer.subject_id)
        rows = due_rows(overviews)
        return render(request, viewer, rows, secrets.token_urlsafe(16), overviews=overviews)

    @router.post("/readings", response_class=HTMLResponse)
    async def send(request: Request, viewer: Resident) -> Response:
        form = await request.form()
        client_key = str(form.get("client_key", "")).strip()[:100] or secrets.token_urlsafe(16)
        items = items_from(form)
        language = cab.language(request, viewer)
        overviews = await uc.list_my_meters(viewer.subject_id)
        try:
            if not items:
                raise DomainError.of("cabinet.nothing_to_send")
            result = await uc.submit_readings(
                SubmitReadingsRequest(viewer.actor, items, client_key)
            )
        except DomainError as error:
            rows = due_rows(overviews)
            general = _place(error.violations, rows, form, language)
            only_warnings = all(v.severity is Severity.WARNING for v in error.violations)
            lead = "cabinet.confirm_warnings" if only_warnings else "cabinet.fix_readings"
            errors = [translate(lead, language), *general]
            # the same key: nothing was written under it yet
            context = {"errors": errors, "overviews": overviews}
            return render(request, viewer, rows, client_key, 400, **context)
        meters = {o.meter.id: o for o in overviews}
        context = {"result": result, "meters": meters}
        return pages.render(request, "web/receipts.html", context, viewer=viewer)


def _place(
    violations: Sequence[Violation], rows: list[Row], form: FormData, language: str
) -> list[str]:
    """Puts each violation next to its register (and the typed values back into the form); the
    ones that belong to no register of the form are returned for the top of the page."""
    by_key = {r.key: r for r in rows}
    for row in rows:
        row.value = str(form.get(f"v.{row.key}", ""))
        row.same = form.get(f"same.{row.key}") == "yes"
        row.confirmed = frozenset(str(c) for c in form.getlist(f"confirm.{row.key}"))
    general = []
    for v in violations:
        words = translate(v.code, language, v.params)
        key = f"{v.meter_id}.{v.register}"
        targets = [by_key[key]] if key in by_key else []
        if not targets and v.meter_id is not None:
            targets = [r for r in rows if r.overview.meter.id == v.meter_id][:1]
        if not targets:
            general.append(words)
        elif v.severity is Severity.WARNING:
            targets[0].warnings.append((v.code, words))
        else:
            targets[0].errors.append(words)
    return general
