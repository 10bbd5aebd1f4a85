"""The operator console (``/operator``): find an account, see its card, take readings for a
caller, correct them; administrators keep staff and suppliers (see admin.py).

Roles: the search and the card are for every staff role (supplier staff see only their
supplier's accounts, read-only); taking and correcting readings is for the call center, district
operators and administrators; each account is checked against the member's scope by the use case.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.readings.photo_reading import ReadFailure, shown
from komunalka.application.readings.read_meter_photo import ReadMeterPhotoRequest
from komunalka.application.readings.readings_sheet import SheetAnswer
from komunalka.application.readings.submit_readings import SubmitReadingsResult
from komunalka.application.staff.find_accounts import SearchKind
from komunalka.application.staff.submit_for_caller import (
    CallerRequest,
    Identification,
    channels_for,
)
from komunalka.application.staff.view_account import AccountCard
from komunalka.channels.ids import BigId
from komunalka.channels.operator.admin import add_admin_routes
from komunalka.channels.operator.photos import add_photo_routes
from komunalka.channels.operator.trail import trail_lines
from komunalka.channels.operator.use_cases import OperatorUseCases
from komunalka.channels.operator.views import (
    CONSOLE,
    TAKERS,
    messages,
    not_found,
    spell,
    to_confirm,
)
from komunalka.channels.pages.routes import add_pages
from komunalka.channels.pages.security import csrf_protect
from komunalka.channels.pages.templating import Pages, language_of
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from komunalka.i18n import translate

ConsoleViewer = Annotated[Viewer, Depends(CONSOLE)]
TakerViewer = Annotated[Viewer, Depends(TAKERS)]


def build_router(use_cases: OperatorUseCases, pages: Pages) -> APIRouter:
    router = APIRouter(
        prefix="/operator", dependencies=[Depends(csrf_protect)], include_in_schema=False
    )
    ConsolePages(use_cases, pages).register(router)
    add_photo_routes(router, use_cases, pages)
    add_admin_routes(router, use_cases, pages)
    return router


class ConsolePages:
    """The search, the account card, and readings taken or corrected for a caller; one method a
    route."""

    def __init__(self, use_cases: OperatorUseCases, pages: Pages) -> None:
        self.use_cases = use_cases
        self.pages = pages

    def register(self, router: APIRouter) -> None:
        corrections = "/accounts/{account_id}/corrections/{receipt}"
        add_pages(
            router,
            [
                ("GET", "", self.search),
                ("GET", "/accounts/{account_id}", self.account),
                ("GET", "/accounts/{account_id}/readings", self.readings_form),
                ("POST", "/accounts/{account_id}/readings", self.send_readings),
                ("GET", corrections, self.correction_form),
                ("POST", corrections, self.correct),
                ("POST", "/photo-reads/{account_id}", self.read_photo),
            ],
        )

    async def read_photo(
        self, request: Request, account_id: BigId, viewer: TakerViewer
    ) -> Response:
        """A photo the caller sent (by mail, a messenger) for one register of the account: read
        and kept as evidence (ReadMeterPhoto), then the caller's form with the value filled in
        for the operator to check with the caller and send; nothing is submitted here."""
        card = await self._card(viewer, account_id)
        if card is None:
            return not_found(self.pages, request)
        raw = await request.form()
        key = str(raw.get("key", ""))
        upload = raw.get("photo")
        image = await upload.read() if isinstance(upload, UploadFile) else b""
        open_ = [m for m in card.sheet.meters if m.overview.status.value in ("sent", "due")]
        line = next((x for m in open_ for x in m.lines if x.key == key), None)
        language = language_of(request, viewer)
        context = _form_context(viewer, card, {})
        if line is None or not image:
            context["errors"] = [translate("cabinet.photo_choose", language)]
            return self.pages.render(request, "operator/readings.html", context, status_code=400)
        asked = ReadMeterPhotoRequest(viewer.actor, line.meter_id, line.register, image)
        try:
            read = await self.use_cases.read_meter_photo(asked)
        except DomainError as error:
            context["errors"] = messages(error, language, card)
            return self.pages.render(request, "operator/readings.html", context, status_code=400)
        if read.value is None:
            code = (read.failure or ReadFailure.UNREADABLE).value
            context["errors"] = [translate(code, language)]
            return self.pages.render(request, "operator/readings.html", context, status_code=400)
        context["form"] = {f"value.{key}": str(read.value)}
        said = translate("cabinet.photo_read", language, {"value": shown(read.value, read.digits)})
        context["notice"] = said
        return self.pages.render(request, "operator/readings.html", context)

    async def search(
        self, request: Request, viewer: ConsoleViewer, kind: str = "", q: str = ""
    ) -> Response:
        assert viewer.staff is not None
        context: dict[str, Any] = {"kind": kind or SearchKind.AUTO.value, "q": q, "found": None}
        if q.strip():
            try:
                context["found"] = await self.use_cases.find_accounts(
                    viewer.staff,
                    SearchKind(kind) if kind in set(SearchKind) else SearchKind.AUTO,
                    q,
                )
            except DomainError as error:
                context["errors"] = self.pages.errors(error, language_of(request, viewer))
                return self.pages.render(request, "operator/search.html", context, status_code=400)
        return self.pages.render(request, "operator/search.html", context)

    async def account(self, request: Request, account_id: BigId, viewer: ConsoleViewer) -> Response:
        assert viewer.staff is not None
        try:
            card = await self.use_cases.view_account(viewer.staff, account_id)
        except DomainError:
            return not_found(self.pages, request)
        context = {
            "card": card,
            "takes_readings": bool(channels_for(viewer.staff)),
            "trail": trail_lines(card),
        }
        return self.pages.render(request, "operator/account.html", context)

    async def readings_form(
        self, request: Request, account_id: BigId, viewer: TakerViewer
    ) -> Response:
        card = await self._card(viewer, account_id)
        if card is None:
            return not_found(self.pages, request)
        context = _form_context(viewer, card, {})
        return self.pages.render(request, "operator/readings.html", context)

    async def send_readings(
        self, request: Request, account_id: BigId, viewer: TakerViewer
    ) -> Response:
        assert viewer.staff is not None
        card = await self._card(viewer, account_id)
        if card is None:
            return not_found(self.pages, request)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        answers = _answers(card, form)
        language = language_of(request, viewer)
        try:
            result = await self.use_cases.submit_for_caller(
                _caller(viewer, account_id, form), card.sheet.items(answers)
            )
        except DomainError as error:
            context = _form_context(viewer, card, form)
            context["errors"] = messages(error, language, card)
            context["warnings"] = to_confirm(card.sheet.after(error, answers))
            return self.pages.render(request, "operator/readings.html", context, status_code=400)
        return self._receipts(request, card, result)

    async def correction_form(
        self, request: Request, account_id: BigId, receipt: str, viewer: TakerViewer
    ) -> Response:
        card = await self._card(viewer, account_id)
        reading = _reading(card, receipt)
        if card is None or reading is None:
            return not_found(self.pages, request)
        context = {**_form_context(viewer, card, {}), "reading": reading}
        return self.pages.render(request, "operator/correction.html", context)

    async def correct(
        self, request: Request, account_id: BigId, receipt: str, viewer: TakerViewer
    ) -> Response:
        card = await self._card(viewer, account_id)
        reading = _reading(card, receipt)
        if card is None or reading is None:
            return not_found(self.pages, request)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        confirm = frozenset(c for c in form.get("confirm", "").split(",") if c)
        try:
            result = await self.use_cases.correct_for_caller(
                _caller(viewer, account_id, form), receipt, form.get("value", ""), confirm
            )
        except DomainError as error:
            context = {**_form_context(viewer, card, form), "reading": reading}
            context["errors"] = messages(error, language_of(request, viewer), card)
            context["warnings"] = to_confirm(card.sheet.after(error, []))
            return self.pages.render(request, "operator/correction.html", context, status_code=400)
        return self._receipts(request, card, result)

    async def _card(self, viewer: Viewer, account_id: int) -> AccountCard | None:
        assert viewer.staff is not None
        try:
            return await self.use_cases.view_account(viewer.staff, account_id)
        except DomainError:
            return None

    def _receipts(
        self, request: Request, card: AccountCard, result: SubmitReadingsResult
    ) -> Response:
        serials = {m.overview.meter.id: m.overview.meter for m in card.meters}
        context = {"card": card, "result": result, "meters": serials, "spell": spell}
        return self.pages.render(request, "operator/receipts.html", context)


def _form_context(viewer: Viewer, card: AccountCard, form: dict[str, str]) -> dict[str, Any]:
    assert viewer.staff is not None
    channels = channels_for(viewer.staff)
    return {
        "card": card,
        "form": form,
        "channels": channels,
        "identifications": list(Identification),
        "client_key": form.get("client_key") or uuid.uuid4().hex,
        "channel": form.get("channel") or channels[0].value,
        "sheet": card.sheet,
        "warnings": {},
    }


def _caller(viewer: Viewer, account_id: int, form: dict[str, str]) -> CallerRequest:
    assert viewer.staff is not None
    allowed = {c.value: c for c in channels_for(viewer.staff)}
    wanted = form.get("channel", "")
    # no choice given: the member's own channel; a choice not theirs is refused by the use case
    channel = allowed.get(wanted, Channel.WEB) if wanted else next(iter(allowed.values()))
    key = form.get("client_key", "").strip() or None
    return CallerRequest(
        viewer.staff,
        account_id,
        channel,
        form.get("identified_by", ""),
        form.get("note", ""),
        key,
    )


def _answers(card: AccountCard, form: dict[str, str]) -> list[SheetAnswer]:
    """Every register of the form: typed (``value.<meter>.<register>``), marked unchanged
    (``same.…``), with the warnings confirmed (``confirm.…``, codes joined by commas)."""
    answers = []
    for m in card.sheet.meters:
        for line in m.lines:
            name = line.key
            confirm = frozenset(c for c in form.get(f"confirm.{name}", "").split(",") if c)
            answers.append(
                SheetAnswer(
                    line.meter_id,
                    line.register,
                    form.get(f"value.{name}", "").strip(),
                    bool(form.get(f"same.{name}")),
                    confirm,
                )
            )
    return answers


def _reading(card: AccountCard | None, receipt: str) -> Any:
    if card is None:
        return None
    for m in card.meters:
        for r in m.readings:
            if r.receipt and r.receipt == receipt.strip().upper():
                return (m, r)
    return None
