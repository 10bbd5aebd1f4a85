"""Consent on shared accounts in the cabinet: removing another resident's link to an account the
resident shares (asked first, then done); who else is linked is shown on the profile page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.channels.ids import BigId
from komunalka.channels.pages.routes import add_pages
from komunalka.channels.pages.security import require_resident
from komunalka.channels.web.common import Cabinet

Resident = Annotated[Viewer, Depends(require_resident)]


def add_consent_routes(router: APIRouter, cab: Cabinet) -> None:
    ConsentPages(cab).register(router)


class ConsentPages:
    def __init__(self, cab: Cabinet) -> None:
        self.cab = cab
        self.pages = cab.pages
        self.uc = cab.use_cases

    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [("POST", "/accounts/{account_id}/links/{resident_id}/remove", self.remove_link)],
        )

    async def remove_link(
        self,
        request: Request,
        viewer: Resident,
        account_id: BigId,
        resident_id: BigId,
        confirmed: Annotated[str, Form()] = "",
    ) -> Response:
        pair = await self.uc.co_residents.one(viewer.subject_id, account_id, resident_id)
        if pair is None:
            return self.cab.not_found(request, viewer)
        found, other = pair
        if confirmed != "yes":
            context = {"shared": found, "other": other}
            return self.pages.render(request, "web/remove_link.html", context, viewer=viewer)
        await self.uc.remove_co_resident(viewer.actor, account_id, resident_id)
        return RedirectResponse("/profile?done=link_removed", status_code=303)
