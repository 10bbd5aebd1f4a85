"""The "that's right" of a leak or anomaly notice (ADR 0025).

``/alerts/ok/{token}``: the link in the notice (the bots' button opens it). Opening it shows one
button; pressing it records the confirmation. No sign-in and no CSRF token, as the reminders'
way out: the signed token names the notice and is the whole proof (a forged or altered one
changes nothing), and the action only stops messages.

``POST /alerts/{id}/ok``: the same from the cabinet's dashboard, signed in, with the CSRF token;
a notice not the resident's is not found."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.notifications.confirm_alert import ConfirmAlert
from komunalka.channels.ids import BigId
from komunalka.channels.pages.routes import add_pages
from komunalka.channels.pages.security import require_resident
from komunalka.channels.pages.templating import Pages
from komunalka.channels.web.common import Cabinet

Resident = Annotated[Viewer, Depends(require_resident)]


def add_alert_routes(router: APIRouter, cab: Cabinet) -> None:
    async def confirm(request: Request, viewer: Resident, alert_id: BigId) -> Response:
        if not await cab.use_cases.confirm_alert.by_resident(viewer.subject_id, alert_id):
            return cab.not_found(request, viewer)
        return RedirectResponse("/?done=alert_ok", status_code=303)

    add_pages(router, [("POST", "/alerts/{alert_id}/ok", confirm)])


def build_alerts_router(confirm: ConfirmAlert, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/alerts/ok/{token}", response_class=HTMLResponse)
    async def ask(request: Request, token: str) -> HTMLResponse:
        return pages.render(request, "web/alert_ok.html", {"token": token, "done": False})

    @router.post("/alerts/ok/{token}", response_class=HTMLResponse)
    async def confirm_now(request: Request, token: str) -> HTMLResponse:
        if not await confirm.by_link(token[:200]):
            context = {"token": token, "done": False, "bad": True}
            return pages.render(request, "web/alert_ok.html", context, status_code=404)
        return pages.render(request, "web/alert_ok.html", {"token": token, "done": True})

    return router
