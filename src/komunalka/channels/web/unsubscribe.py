"""``/reminders/off/{token}``: the link in every reminder e-mail. Opening it shows one button;
pressing it, or a mail program's one-click POST (RFC 8058, ``List-Unsubscribe=One-Click``), turns
the resident's reminders off. No sign-in and no CSRF token: the signed token names the resident
and is the whole proof (a forged or altered one changes nothing), and the action only stops
messages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from komunalka.application.identity.stop_reminders import StopReminders
from komunalka.channels.pages.templating import Pages


def build_unsubscribe_router(stop: StopReminders, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/reminders/off/{token}", response_class=HTMLResponse)
    async def confirm(request: Request, token: str) -> HTMLResponse:
        return pages.render(request, "web/unsubscribe.html", {"token": token, "done": False})

    @router.post("/reminders/off/{token}", response_class=HTMLResponse)
    async def stop_now(request: Request, token: str) -> HTMLResponse:
        if not await stop(token[:200]):
            context = {"token": token, "done": False, "bad": True}
            return pages.render(request, "web/unsubscribe.html", context, status_code=404)
        return pages.render(request, "web/unsubscribe.html", {"token": token, "done": True})

    return router
