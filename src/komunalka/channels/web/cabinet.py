"""The cabinet's home and the resident's own things: the dashboard of every meter, linking and
unlinking accounts, and the profile. Every page but the landing is for a signed-in resident and
shows only what is linked to them."""

from __future__ import annotations

from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from komunalka.application.accounts.link_account import RESIDENT_WINDOW, LinkAccountRequest
from komunalka.application.identity.edit_profile import REMINDER_CHANNELS, ProfileChange
from komunalka.application.identity.sign_in import Viewer
from komunalka.application.shared.ports import OutgoingMessage
from komunalka.channels.ids import BigId
from komunalka.channels.pages.routes import add_pages, staff_home
from komunalka.channels.pages.security import (
    LANGUAGE_COOKIE,
    cookie_header,
    current_viewer,
    require_resident,
)
from komunalka.channels.web.common import Cabinet
from komunalka.domain.errors import DomainError
from komunalka.i18n import translate

YEAR = 365 * 24 * 3600
Resident = Annotated[Viewer, Depends(require_resident)]
# What a redirect after a change tells the resident (`?done=...`).
DONE = {
    "linked": "cabinet.done_linked",
    "unlinked": "cabinet.done_unlinked",
    "link_removed": "consent.done_link_removed",
    "care_started": "care.done_started",
    "care_ended": "care.done_ended",
    "password": "cabinet.done_password",
    "profile": "cabinet.done_profile",
    "telegram": "cabinet.done_telegram",
    "water_heater_on": "cabinet.done_water_heater_on",
    "water_heater_off": "cabinet.done_water_heater_off",
    "alert_ok": "alerts.page_done",
    "phone_code": "cabinet.done_phone_code",
    "phone_linked": "cabinet.done_phone_linked",
}


def locked_out(error: DomainError) -> bool:
    """The refusal leaves no attempt to link: the limit is reached, or this was the last one
    (as the chat decides, chat/linking.py)."""
    code, params = error.code, error.violations[0].params
    return code == "link.too_many_attempts" or (
        code == "link.not_matched" and params.get("attempts_left") == "0"
    )


def locked_out_words(error: DomainError, language: str) -> str:
    if error.code == "link.too_many_attempts":
        return translate(error.code, language, error.violations[0].params)
    minutes = int(RESIDENT_WINDOW.total_seconds() // 60)
    return translate("cabinet.link_no_attempts_left", language, {"minutes": minutes})


def add_cabinet_routes(router: APIRouter, cab: Cabinet) -> None:
    CabinetPages(cab).register(router)


class CabinetPages:
    """The dashboard, linking and unlinking accounts, the profile; one method a route."""

    def __init__(self, cab: Cabinet) -> None:
        self.cab = cab
        self.pages = cab.pages
        self.uc = cab.use_cases

    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [
                ("GET", "/", self.home),
                ("GET", "/link", self.link_form),
                ("POST", "/link", self.link),
                ("POST", "/accounts/{account_id}/unlink", self.unlink),
                ("GET", "/profile", self.profile),
                ("POST", "/profile", self.save_profile),
                ("POST", "/profile/telegram", self.attach_telegram),
                ("POST", "/profile/phone", self.request_phone_code),
                ("POST", "/profile/phone/confirm", self.confirm_phone),
            ],
        )

    async def home(self, request: Request, done: str = "") -> Response:
        viewer = await current_viewer(request)
        if viewer is None:
            return self.pages.render(request, "web/landing.html")
        if viewer.staff is not None:
            return RedirectResponse(staff_home(viewer.staff.role), status_code=303)
        profile = await self.uc.get_profile(viewer.subject_id)
        meters = await self.uc.list_my_meters(viewer.subject_id)
        by_account = {
            k: list(g) for k, g in groupby(sorted(meters, key=_by_account), key=_by_account)
        }
        groups = [(linked, by_account.get(linked.account.id, [])) for linked in profile.accounts]
        context = {
            "groups": groups,
            "due": sum(1 for m in meters if m.status == "due"),
            # Leak and anomaly notices not confirmed yet (ADR 0025), each with its button.
            "alerts": [
                a for a in await self.uc.list_alerts(viewer.subject_id) if a.confirmed_at is None
            ],
            "notice": self._notice(request, viewer, done),
        }
        return self.pages.render(request, "web/dashboard.html", context, viewer=viewer)

    async def link_form(self, request: Request, viewer: Resident) -> Response:
        return await self._link_page(request, viewer)

    async def link(
        self,
        request: Request,
        viewer: Resident,
        supplier: Annotated[str, Form()] = "",
        number: Annotated[str, Form()] = "",
        proof: Annotated[str, Form()] = "",
        step: Annotated[str, Form()] = "check",
    ) -> Response:
        form = {"supplier": supplier, "number": number, "proof": proof}
        request_ = LinkAccountRequest(
            viewer.actor,
            number,
            supplier_code=supplier or None,
            proof=proof,
            check_only=step != "confirm",
        )
        try:
            found = await self.uc.link_account(request_)
        except DomainError as error:
            language = self.cab.language(request, viewer)
            if locked_out(error):  # no attempt left: no form asking for a proof again
                locked = locked_out_words(error, language)
                return await self._link_page(request, viewer, 429, form=form, locked=locked)
            errors = self.pages.errors(error, language)
            return await self._link_page(request, viewer, 400, form=form, errors=errors)
        if step == "confirm":
            return RedirectResponse("/?done=linked", status_code=303)
        if found.already_linked:
            text = translate("cabinet.link_already", self.cab.language(request, viewer))
            return await self._link_page(request, viewer, notice=text)
        context = {"found": found, "form": {**form, "supplier": found.supplier_code}}
        return self.pages.render(request, "web/link_confirm.html", context, viewer=viewer)

    async def unlink(
        self,
        request: Request,
        viewer: Resident,
        account_id: BigId,
        confirmed: Annotated[str, Form()] = "",
    ) -> Response:
        profile = await self.uc.get_profile(viewer.subject_id)
        linked = next((a for a in profile.accounts if a.account.id == account_id), None)
        if linked is None:
            return self.cab.not_found(request, viewer)
        if confirmed != "yes":
            context = {"linked": linked}
            return self.pages.render(request, "web/unlink.html", context, viewer=viewer)
        await self.uc.unlink_account(viewer.actor, account_id)
        return RedirectResponse("/profile?done=unlinked", status_code=303)

    async def profile(self, request: Request, viewer: Resident, done: str = "") -> Response:
        notice = self._notice(request, viewer, done)
        return await self._profile_page(request, viewer, notice=notice)

    async def save_profile(
        self,
        request: Request,
        viewer: Resident,
        language: Annotated[str, Form()] = "uk",
        reminder_channel: Annotated[str, Form()] = "none",
        consent: Annotated[str, Form()] = "",
        contact: Annotated[str, Form()] = "",
    ) -> Response:
        change = ProfileChange(language, reminder_channel, consent == "yes", contact)
        try:
            saved = await self.uc.update_profile(viewer.actor, change)
        except DomainError as error:
            errors = self.pages.errors(error, self.cab.language(request, viewer))
            form = {
                "language": language,
                "reminder_channel": reminder_channel,
                "consent": consent == "yes",
                "contact": contact,
            }
            return await self._profile_page(request, viewer, 400, form=form, errors=errors)
        response = RedirectResponse("/profile?done=profile", status_code=303)
        cookie = cookie_header(LANGUAGE_COOKIE, saved.language, self.cab.secure, max_age=YEAR)
        response.headers.append("set-cookie", cookie.decode())
        return response

    async def attach_telegram(self, request: Request, viewer: Resident) -> Response:
        """Telegram's Login Widget on the profile: the bot and the cabinet become one resident."""
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        try:
            await self.uc.attach_telegram(viewer.subject_id, self.cab.telegram_user(fields))
        except DomainError as error:
            errors = self.pages.errors(error, self.cab.language(request, viewer))
            return await self._profile_page(request, viewer, 400, errors=errors)
        return RedirectResponse("/profile?done=telegram", status_code=303)

    async def request_phone_code(
        self, request: Request, viewer: Resident, phone: Annotated[str, Form()] = ""
    ) -> Response:
        """A one-time code by SMS to the number typed (ADR 0026), worded in the page's
        language."""
        lang = self.cab.language(request, viewer)

        def compose(number: str, code: str) -> OutgoingMessage:
            return OutgoingMessage("sms", number, "", translate("sms.code", lang, {"code": code}))

        try:
            await self.uc.request_phone_code(viewer.subject_id, phone, compose)
        except DomainError as error:
            errors = self.pages.errors(error, lang)
            return await self._profile_page(request, viewer, 400, errors=errors)
        return RedirectResponse("/profile?done=phone_code", status_code=303)

    async def confirm_phone(
        self, request: Request, viewer: Resident, code: Annotated[str, Form()] = ""
    ) -> Response:
        try:
            await self.uc.confirm_phone(viewer.subject_id, code)
        except DomainError as error:
            errors = self.pages.errors(error, self.cab.language(request, viewer))
            return await self._profile_page(request, viewer, 400, errors=errors)
        return RedirectResponse("/profile?done=phone_linked", status_code=303)

    def _notice(self, request: Request, viewer: Viewer, done: str) -> str | None:
        code = DONE.get(done)
        return translate(code, self.cab.language(request, viewer)) if code else None

    async def _link_page(
        self, request: Request, viewer: Viewer, status: int = 200, **context: Any
    ) -> HTMLResponse:
        values = {
            "suppliers": await self.uc.supplier_names(),
            "form": {"supplier": "", "number": "", "proof": ""},
            **context,
        }
        template = "web/link.html"
        return self.pages.render(request, template, values, status_code=status, viewer=viewer)

    async def _profile_page(
        self, request: Request, viewer: Viewer, status: int = 200, **context: Any
    ) -> HTMLResponse:
        view = await self.uc.get_profile(viewer.subject_id)
        p = view.profile
        form = {
            "language": p.language,
            "reminder_channel": p.reminder_channel,
            "consent": p.reminder_consent_at is not None,
            "contact": p.contact,
        }
        shared = await self.uc.co_residents(viewer.subject_id)
        values = {
            "view": view,
            "others": {s.account.id: s.others for s in shared},
            "care": await self.uc.show_caretaking(viewer.subject_id),
            "form": form,
            "channels": REMINDER_CHANNELS,
            "bot_name": self.cab.telegram_bot_name,
            "phone": await self.uc.resident_by_phone.phone_of(viewer.subject_id),
            **context,
        }
        template = "web/profile.html"
        return self.pages.render(request, template, values, status_code=status, viewer=viewer)


def _by_account(overview: Any) -> int:
    return int(overview.account.id)
