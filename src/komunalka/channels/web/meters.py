"""A meter's settings in the cabinet: whether a hot-water meter feeds an electric water heater
("boiler"), switched from the dashboard. A meter not on the resident's accounts is not found."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.readings.set_water_heater import SetWaterHeaterRequest
from komunalka.channels.ids import BigId
from komunalka.channels.pages.routes import add_pages
from komunalka.channels.pages.security import require_resident
from komunalka.channels.web.common import Cabinet
from komunalka.domain.errors import DomainError

Resident = Annotated[Viewer, Depends(require_resident)]


def add_meter_routes(router: APIRouter, cab: Cabinet) -> None:
    MeterPages(cab).register(router)


class MeterPages:
    def __init__(self, cab: Cabinet) -> None:
        self.cab = cab

    def register(self, router: APIRouter) -> None:
        add_pages(router, [("POST", "/meters/{meter_id}/water-heater", self.water_heater)])

    async def water_heater(
        self,
        request: Request,
        viewer: Resident,
        meter_id: BigId,
        water_heater: Annotated[str, Form()] = "",
    ) -> Response:
        """`water_heater=yes` marks the meter, anything else clears it; back to the dashboard."""
        wanted = water_heater == "yes"
        asked = SetWaterHeaterRequest(viewer.actor, meter_id, wanted)
        try:
            await self.cab.use_cases.set_water_heater(asked)
        except DomainError:
            # Someone else's meter, or one that is not of hot water: the form offers neither.
            return self.cab.not_found(request, viewer)
        done = "water_heater_on" if wanted else "water_heater_off"
        return RedirectResponse(f"/?done={done}", status_code=303)
