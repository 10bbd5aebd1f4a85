"""Sending readings: one form with every due register across the resident's accounts, the
previous values shown, "unchanged" in one click, warnings to confirm, and the receipts. The form
renders the readings sheet (application/readings/readings_sheet.py) and sends back what the
resident chose; the sheet decides what is due, what "unchanged" stands for and where each
violation belongs.

The form carries a client key made when it was drawn: a double submit (or the browser's resend)
takes effect once and shows the same receipts. The key stays the same while the form comes back
with errors or warnings (nothing was written then) and is new only for a new form."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from komunalka import formats
from komunalka.application.identity.sign_in import Viewer
from komunalka.application.readings.list_my_meters import MeterOverview
from komunalka.application.readings.photo_reading import ReadFailure, shown
from komunalka.application.readings.read_meter_photo import ReadMeterPhotoRequest
from komunalka.application.readings.readings_sheet import ReadingsSheet, SheetAnswer
from komunalka.application.readings.submit_readings import SubmitReadingsRequest
from komunalka.application.shared.actors import Actor
from komunalka.channels.pages.routes import add_pages
from komunalka.channels.pages.security import require_resident
from komunalka.channels.web.common import Cabinet
from komunalka.channels.web.receipts import receipt_cards
from komunalka.domain.errors import DomainError
from komunalka.domain.ids import parse_id
from komunalka.domain.values import format_value
from komunalka.i18n import translate

Resident = Annotated[Viewer, Depends(require_resident)]


@dataclass(slots=True)
class Row:
    """One register's line of the form, in words: the sheet's line rendered."""

    overview: MeterOverview
    register: str
    previous: str = ""
    previous_at: str = ""
    value: str = ""
    same: bool = False
    errors: list[str] = field(default_factory=list)
    # (code, words) of warnings the resident may confirm
    warnings: list[tuple[str, str]] = field(default_factory=list)
    previous_words: str = ""  # `previous` as the page's language writes it
    photo: str = ""  # "The photo reads 00117: check it and send", after a photo was read

    @property
    def key(self) -> str:
        return f"{self.overview.meter.id}.{self.register}"


def due_rows(sheet: ReadingsSheet, language: str) -> list[Row]:
    """The lines of the due meters, with the answers and violations of a try in words."""
    rows = []
    for m in sheet.due:
        decimals = m.overview.meter.decimals
        for line in m.lines:
            last, answer = line.last, line.answer
            rows.append(
                Row(
                    m.overview,
                    line.register,
                    format_value(last.value, decimals) if last else "",
                    formats.month(str(last.period), language) if last else "",
                    answer.value if answer else "",
                    answer.unchanged if answer else False,
                    [translate(v.code, language, v.params) for v in line.errors],
                    [(v.code, translate(v.code, language, v.params)) for v in line.warnings],
                    formats.reading(last.value, decimals, language) if last else "",
                )
            )
    return rows


def general(sheet: ReadingsSheet, language: str) -> list[str]:
    """The violations the form has no line for, in words, for the top of the page."""
    hidden = [
        v for m in sheet.meters if not m.due for x in m.lines for v in (*x.errors, *x.warnings)
    ]
    return [translate(v.code, language, v.params) for v in (*sheet.problems, *hidden)]


def answers_from(form: FormData) -> list[SheetAnswer]:
    """Every register of the form, as typed (``v.<meter>.<register>``), marked unchanged
    (``same.…``) and with the warnings confirmed (``confirm.…``)."""
    answers = []
    for name, raw in form.multi_items():
        if not name.startswith("v.") or not isinstance(raw, str):
            continue
        meter, _, register = name[2:].partition(".")
        meter_id = parse_id(meter)
        if meter_id is None or not register:
            continue
        key = f"{meter}.{register}"
        confirm = frozenset(str(c) for c in form.getlist(f"confirm.{key}"))
        same = form.get(f"same.{key}") == "yes"
        answers.append(SheetAnswer(meter_id, register, raw.strip(), same, confirm))
    return answers


@dataclass(frozen=True, slots=True)
class ForWhom:
    """Whose readings a form sends and as whom: the resident themselves, or a caretaker on
    their behalf (then `name` says for whom, and the form posts to `action`)."""

    actor: Actor
    name: str = ""
    action: str = "/readings"

    @property
    def resident_id(self) -> int:
        assert self.actor.resident_id is not None
        return self.actor.resident_id


def add_readings_routes(router: APIRouter, cab: Cabinet) -> None:
    ReadingsPages(cab).register(router)


class ReadingsPages:
    """The readings form and its sending; one method a route."""

    def __init__(self, cab: Cabinet) -> None:
        self.cab = cab
        self.pages = cab.pages
        self.uc = cab.use_cases

    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [
                ("GET", "/readings", self.readings_form),
                ("POST", "/readings", self.send),
                ("POST", "/readings/photo", self.photo),
            ],
        )

    async def photo(self, request: Request, viewer: Resident) -> Response:
        """A photo of one due register's meter: read and checked (ReadMeterPhoto, which keeps
        it as evidence), then the form again with the value read filled in for the resident to
        check and send, or why it was not read. Nothing is submitted here (ADR 0027)."""
        form = await request.form()
        language = self.cab.language(request, viewer)
        sheet = await self.uc.readings_sheet(viewer.subject_id)
        rows = due_rows(sheet, language)
        chosen = next((r for r in rows if r.key == str(form.get("key", ""))), None)
        upload = form.get("photo")
        image = await upload.read() if isinstance(upload, UploadFile) else b""
        if chosen is None or not image:
            return self._photo_answer(request, viewer, rows, sheet, "cabinet.photo_choose")
        request_ = ReadMeterPhotoRequest(
            viewer.actor, chosen.overview.meter.id, chosen.register, image
        )
        try:
            read = await self.uc.read_meter_photo(request_)
        except DomainError as error:
            code = error.violations[0].code
            return self._photo_answer(request, viewer, rows, sheet, code, chosen, error)
        if read.value is None:
            failure = (read.failure or ReadFailure.UNREADABLE).value
            return self._photo_answer(request, viewer, rows, sheet, failure, chosen)
        chosen.value = str(read.value)
        notice = translate(
            "cabinet.photo_read", language, {"value": shown(read.value, read.digits)}
        )
        chosen.photo = notice
        overviews = [m.overview for m in sheet.meters]
        return self._render(request, viewer, rows, secrets.token_urlsafe(16), overviews=overviews)

    def _photo_answer(
        self,
        request: Request,
        viewer: Viewer,
        rows: list[Row],
        sheet: ReadingsSheet,
        code: str,
        chosen: Row | None = None,
        error: DomainError | None = None,
    ) -> HTMLResponse:
        language = self.cab.language(request, viewer)
        params = error.violations[0].params if error else {}
        said = translate(code, language, params)
        if chosen is not None:
            chosen.errors.append(said)
        overviews = [m.overview for m in sheet.meters]
        context: dict[str, Any] = {"overviews": overviews, "errors": [said]}
        return self._render(request, viewer, rows, secrets.token_urlsafe(16), 400, **context)

    async def readings_form(self, request: Request, viewer: Resident) -> Response:
        return await self.show_form(request, viewer, ForWhom(viewer.actor))

    async def send(self, request: Request, viewer: Resident) -> Response:
        return await self.send_for(request, viewer, ForWhom(viewer.actor))

    async def show_form(self, request: Request, viewer: Viewer, whom: ForWhom) -> Response:
        sheet = await self.uc.readings_sheet(whom.resident_id)
        rows = due_rows(sheet, self.cab.language(request, viewer))
        overviews = [m.overview for m in sheet.meters]
        key = secrets.token_urlsafe(16)
        return self._render(request, viewer, rows, key, overviews=overviews, whom=whom)

    async def send_for(self, request: Request, viewer: Viewer, whom: ForWhom) -> Response:
        """Sends the form's readings as `whom.actor`: the resident, or their caretaker on
        their behalf (web/care.py)."""
        form = await request.form()
        client_key = str(form.get("client_key", "")).strip()[:100] or secrets.token_urlsafe(16)
        language = self.cab.language(request, viewer)
        sheet = await self.uc.readings_sheet(whom.resident_id)
        overviews = [m.overview for m in sheet.meters]
        answers = answers_from(form)
        items = sheet.items(answers)
        try:
            if not items:
                raise DomainError.of("cabinet.nothing_to_send")
            result = await self.uc.submit_readings(
                SubmitReadingsRequest(whom.actor, items, client_key)
            )
        except DomainError as error:
            tried = sheet.after(error, answers)
            lead = "cabinet.confirm_warnings" if tried.only_warnings else "cabinet.fix_readings"
            errors = [translate(lead, language), *general(tried, language)]
            # the same key: nothing was written under it yet
            context = {"errors": errors, "overviews": overviews, "whom": whom}
            rows = due_rows(tried, language)
            return self._render(request, viewer, rows, client_key, 400, **context)
        meters = {o.meter.id: o for o in overviews}
        estimates = await self.uc.estimate_bills(whom.resident_id)
        numbers = [r.receipt for r in result.readings]
        signed = await receipt_cards(self.cab, request, whom.actor, numbers)
        context = {
            "result": result,
            "meters": meters,
            "estimates": estimates,
            "whom": whom,
            "cards": signed,
        }
        return self.pages.render(request, "web/receipts.html", context, viewer=viewer)

    def _render(
        self,
        request: Request,
        viewer: Viewer,
        rows: list[Row],
        client_key: str,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        values = {"rows": rows, "client_key": client_key, **context}
        template = "web/readings.html"
        return self.pages.render(request, template, values, status_code=status, viewer=viewer)
