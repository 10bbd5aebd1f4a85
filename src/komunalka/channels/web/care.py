"""Caretakers in the cabinet: the resident makes a one-time code for a relative and ends their
care; the relative accepts the code and sends readings on the resident's behalf (the readings
form of web/readings.py, sent as the caretaker for the resident). Shown on the profile page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.channels.ids import BigId
from komunalka.channels.pages.routes import add_pages
from komunalka.channels.pages.security import require_resident
from komunalka.channels.web.common import Cabinet
from komunalka.channels.web.readings import ForWhom, ReadingsPages
from komunalka.domain.errors import DomainError

Resident = Annotated[Viewer, Depends(require_resident)]


def add_care_routes(router: APIRouter, cab: Cabinet) -> None:
    CarePages(cab).register(router)


class CarePages:
    def __init__(self, cab: Cabinet) -> None:
        self.cab = cab
        self.pages = cab.pages
        self.uc = cab.use_cases
        self.readings = ReadingsPages(cab)

    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [
                ("POST", "/care/invite", self.invite),
                ("GET", "/care/accept", self.accept_form),
                ("POST", "/care/accept", self.accept),
                ("POST", "/care/{other_id}/end", self.end),
                ("GET", "/care/{resident_id}/readings", self.readings_form),
                ("POST", "/care/{resident_id}/readings", self.send),
            ],
        )

    async def invite(self, request: Request, viewer: Resident) -> Response:
        invitation = await self.uc.invite_caretaker(viewer.actor)
        context = {"invitation": invitation}
        page = self.pages.render(request, "web/care_code.html", context, viewer=viewer)
        page.headers["cache-control"] = "no-store"  # the code is shown once
        return page

    async def accept_form(self, request: Request, viewer: Resident) -> Response:
        return self.pages.render(request, "web/care_accept.html", {"code": ""}, viewer=viewer)

    async def accept(
        self, request: Request, viewer: Resident, code: Annotated[str, Form()] = ""
    ) -> Response:
        try:
            await self.uc.accept_caretaking(viewer.actor, code)
        except DomainError as error:
            errors = self.pages.errors(error, self.cab.language(request, viewer))
            status = 429 if error.code == "care.too_many_attempts" else 400
            context = {"code": code, "errors": errors}
            return self.pages.render(
                request, "web/care_accept.html", context, status_code=status, viewer=viewer
            )
        return RedirectResponse("/profile?done=care_started", status_code=303)

    async def end(self, request: Request, viewer: Resident, other_id: BigId) -> Response:
        try:
            await self.uc.end_caretaking(viewer.actor, other_id)
        except DomainError:
            return self.cab.not_found(request, viewer)
        return RedirectResponse("/profile?done=care_ended", status_code=303)

    async def _whom(self, viewer: Viewer, resident_id: int) -> ForWhom | None:
        try:
            actor = await self.uc.act_for(viewer.actor, resident_id)
        except DomainError:
            return None
        view = await self.uc.show_caretaking(viewer.subject_id)
        name = next((p.masked_name for p in view.cared_for if p.resident_id == resident_id), "")
        return ForWhom(actor, name or "—", f"/care/{resident_id}/readings")

    async def readings_form(
        self, request: Request, viewer: Resident, resident_id: BigId
    ) -> Response:
        whom = await self._whom(viewer, resident_id)
        if whom is None:
            return self.cab.not_found(request, viewer)
        return await self.readings.show_form(request, viewer, whom)

    async def send(self, request: Request, viewer: Resident, resident_id: BigId) -> Response:
        whom = await self._whom(viewer, resident_id)
        if whom is None:
            return self.cab.not_found(request, viewer)
        return await self.readings.send_for(request, viewer, whom)
