"""A meter's photos in the console (ADR 0027): the list with what the reader read and each
photo's SHA-256, and the photo itself. For every staff role, within the member's scope (supplier
staff: their supplier's meters); out of scope a photo does not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.channels.ids import BigId
from komunalka.channels.operator.use_cases import OperatorUseCases
from komunalka.channels.operator.views import CONSOLE
from komunalka.channels.pages.routes import add_pages, not_found_page
from komunalka.channels.pages.templating import Pages
from komunalka.domain.errors import DomainError

ConsoleViewer = Annotated[Viewer, Depends(CONSOLE)]


def add_photo_routes(router: APIRouter, use_cases: OperatorUseCases, pages: Pages) -> None:
    async def photos(request: Request, meter_id: BigId, viewer: ConsoleViewer) -> Response:
        assert viewer.staff is not None
        try:
            meter, found = await use_cases.meter_photos.list(viewer.staff, meter_id)
        except DomainError:
            return not_found_page(pages, request, "photo.not_found")
        context = {"meter": meter, "photos": found}
        return pages.render(request, "operator/photos.html", context)

    async def photo(request: Request, photo_id: BigId, viewer: ConsoleViewer) -> Response:
        assert viewer.staff is not None
        try:
            content = await use_cases.meter_photos.open(viewer.staff, photo_id)
        except DomainError:
            return not_found_page(pages, request, "photo.not_found")
        headers = {"Cache-Control": "private, max-age=3600"}
        return Response(content, media_type="image/jpeg", headers=headers)

    add_pages(router, [("GET", "/meters/{meter_id}/photos", photos)])
    router.add_api_route("/photos/{photo_id}", photo, methods=["GET"])
