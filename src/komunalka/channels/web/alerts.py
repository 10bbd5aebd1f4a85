"""``/alerts/ok/{token}``: the "that's right" of a leak or anomaly notice (ADR 0025), the link in
the notice (the bots' button opens it). Opening it shows one button; pressing it records the
confirmation. No sign-in and no CSRF token, as the reminders' way out: the signed token names
the notice and is the whole proof (a forged or altered one changes nothing), and the action
only stops messages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from komunalka.application.notifications.confirm_alert import ConfirmAlert
from komunalka.channels.pages.templating import Pages


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
