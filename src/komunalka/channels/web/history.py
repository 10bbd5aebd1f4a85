"""A meter's history: the table of its last readings with use and estimated cost, the chart of
use per period (PNG, drawn by the injected renderer) and the whole history as CSV. A meter that
is not on one of the resident's accounts is not found, whoever's it is."""

from __future__ import annotations

import asyncio
import csv
import io
import secrets
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.readings.correct_reading import CorrectReadingRequest
from komunalka.application.readings.list_my_meters import MeterOverview, PeriodStatus
from komunalka.application.readings.reading_history import MeterHistory, use_by_zone
from komunalka.application.shared.charts import chart_digest
from komunalka.application.shared.ports import ZoneUse
from komunalka.channels.ids import BigId
from komunalka.channels.pages.routes import add_pages
from komunalka.channels.pages.security import require_resident
from komunalka.channels.web.common import Cabinet
from komunalka.channels.web.receipts import receipt_cards
from komunalka.domain.errors import DomainError, Severity
from komunalka.domain.readings import ReadingStatus
from komunalka.domain.values import format_value
from komunalka.i18n import translate

Resident = Annotated[Viewer, Depends(require_resident)]
# Months of history: this period and the twelve before it, so a year of readings shows even
# before this period's reading is in.
MONTHS = 13
CSV_COLUMNS = (
    "period",
    "register",
    "value",
    "consumption",
    "submitted_at",
    "channel",
    "receipt",
    "status",
)


def _tags(if_none_match: str) -> set[str]:
    """The entity tags of an If-None-Match header, weak ones compared as strong (RFC 9110)."""
    return {t.strip().removeprefix("W/") for t in if_none_match.split(",") if t.strip()}


def correctable(overview: MeterOverview, found: MeterHistory) -> list[Any]:
    """This period's accepted readings while its window is open: they may still be corrected."""
    if overview.status not in (PeriodStatus.SENT, PeriodStatus.DUE):
        return []
    return [
        e.reading
        for e in found.entries
        if e.reading.period == overview.period and e.reading.status is ReadingStatus.ACCEPTED
    ]


def history_csv(found: MeterHistory) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    decimals = found.meter.decimals
    for e in found.entries:
        r = e.reading
        used = format_value(e.consumption, decimals) if e.consumption is not None else ""
        writer.writerow(
            [
                str(r.period),
                r.register,
                format_value(r.value, decimals),
                used,
                r.submitted_at.isoformat(),
                r.channel.value,
                r.receipt,
                r.status.value,
            ]
        )
    return out.getvalue()


def add_history_routes(router: APIRouter, cab: Cabinet) -> None:
    HistoryPages(cab).register(router)


class HistoryPages:
    """A meter's history page, its correction, its chart and its CSV; one method a route."""

    def __init__(self, cab: Cabinet) -> None:
        self.cab = cab
        self.pages = cab.pages
        self.uc = cab.use_cases

    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [
                ("GET", "/meters/{meter_id}", self.history),
                ("POST", "/meters/{meter_id}/correct", self.correct),
            ],
        )
        router.add_api_route("/meters/{meter_id}/chart.png", self.chart, methods=["GET"])
        router.add_api_route("/meters/{meter_id}/history.csv", self.download, methods=["GET"])

    async def history(self, request: Request, viewer: Resident, meter_id: BigId) -> Response:
        found = await self._mine(viewer, meter_id)
        if found is None:
            return self.cab.not_found(request, viewer)
        estimates = await self.uc.estimate_bills(viewer.subject_id, [found[0].account.id])
        return self._page(request, viewer, found, estimates=estimates)

    async def correct(
        self,
        request: Request,
        viewer: Resident,
        meter_id: BigId,
        receipt: Annotated[str, Form()] = "",
        value: Annotated[str, Form()] = "",
        client_key: Annotated[str, Form()] = "",
        confirm: Annotated[list[str] | None, Form()] = None,
    ) -> Response:
        found = await self._mine(viewer, meter_id)
        if found is None or receipt not in {e.reading.receipt for e in found[1].entries}:
            return self.cab.not_found(request, viewer)
        key = client_key.strip()[:100] or secrets.token_urlsafe(16)
        asked = CorrectReadingRequest(viewer.actor, receipt, value, frozenset(confirm or ()), key)
        try:
            result = await self.uc.correct_reading(asked)
        except DomainError as error:
            language = self.cab.language(request, viewer)
            said = [(v, translate(v.code, language, v.params)) for v in error.violations]
            correction = {
                "receipt": receipt,
                "value": value,
                "errors": [w for v, w in said if v.severity is Severity.ERROR],
                "warnings": [(v.code, w) for v, w in said if v.severity is Severity.WARNING],
            }
            errors = [translate("cabinet.correction_failed", language)]
            return self._page(
                request, viewer, found, 400, correction=correction, client_key=key, errors=errors
            )
        estimates = await self.uc.estimate_bills(viewer.subject_id, [found[0].account.id])
        signed = await receipt_cards(
            self.cab, request, viewer.actor, [r.receipt for r in result.readings]
        )
        context = {
            "result": result,
            "meters": {meter_id: found[0]},
            "estimates": estimates,
            "cards": signed,
        }
        return self.pages.render(request, "web/receipts.html", context, viewer=viewer)

    async def chart(self, request: Request, viewer: Resident, meter_id: BigId) -> Response:
        found = await self._mine(viewer, meter_id)
        if found is None:
            return Response(status_code=404)
        overview, entries = found
        periods, zones = use_by_zone(entries)
        if not periods:
            return Response(status_code=404)
        language = self.cab.language(request, viewer)
        meter = overview.meter
        title = translate(
            "cabinet.chart_title",
            language,
            {
                "service": translate(f"service.{meter.service.value}", language),
                "serial": meter.serial,
            },
        )
        unit = translate(f"unit.{meter.service.unit}", language)
        axis = translate("chart.month", language)
        named = [
            ZoneUse(translate(f"cabinet.zone_{z.lower()}", language), tuple(v))
            for z, v in zones.items()
        ]
        shown: Sequence[float] | Sequence[ZoneUse] = named if len(named) > 1 else named[0].values
        # The picture is named by what it shows: the browser keeps it and asks again each time
        # (no-cache), and an unchanged chart costs a 304 without drawing or sending it.
        etag = f'"{chart_digest(title, periods, shown, unit, axis)}"'
        headers = {"Cache-Control": "private, no-cache", "ETag": etag}
        if etag in _tags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=headers)
        if len(named) > 1:
            draw = self.cab.charts.zones_chart
            png = await asyncio.to_thread(draw, title, periods, named, unit, axis)
        else:
            draw_one = self.cab.charts.consumption_chart
            png = await asyncio.to_thread(draw_one, title, periods, named[0].values, unit, axis)
        return Response(png, media_type="image/png", headers=headers)

    async def download(self, request: Request, viewer: Resident, meter_id: BigId) -> Response:
        found = await self._mine(viewer, meter_id)
        if found is None:
            return Response(status_code=404)
        overview, entries = found
        name = f"komunalka-{overview.meter.serial}-history.csv"
        headers = {
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        }
        return Response(history_csv(entries), media_type="text/csv; charset=utf-8", headers=headers)

    async def _mine(
        self, viewer: Viewer, meter_id: int
    ) -> tuple[MeterOverview, MeterHistory] | None:
        overview = next(
            (o for o in await self.uc.list_my_meters(viewer.subject_id) if o.meter.id == meter_id),
            None,
        )
        if overview is None:
            return None
        try:
            return overview, await self.uc.reading_history(viewer.actor, meter_id, MONTHS)
        except DomainError:
            return None

    def _page(
        self,
        request: Request,
        viewer: Viewer,
        found: tuple[MeterOverview, MeterHistory],
        status: int = 200,
        **extra: Any,
    ) -> HTMLResponse:
        overview, entries = found
        periods, zones = use_by_zone(entries)
        context = {
            "o": overview,
            "history": entries,
            "has_chart": bool(periods),
            "chart_alt": self._chart_alt(request, viewer, overview, list(zones)),
            "correctable": correctable(overview, entries),
            "client_key": secrets.token_urlsafe(16),
            "correction": {},
            **extra,
        }
        template = "web/history.html"
        return self.pages.render(request, template, context, status_code=status, viewer=viewer)

    def _chart_alt(
        self, request: Request, viewer: Viewer, overview: MeterOverview, zones: list[str]
    ) -> str:
        """The chart in words, for those who do not see it: its numbers are in the table."""
        language = self.cab.language(request, viewer)
        unit = translate(f"unit.{overview.meter.service.unit}", language)
        if len(zones) == 1:
            return translate("cabinet.chart_alt", language, {"unit": unit})
        names = ", ".join(translate(f"cabinet.zone_{z.lower()}", language) for z in zones)
        return translate("cabinet.chart_alt_zones", language, {"unit": unit, "zones": names})
