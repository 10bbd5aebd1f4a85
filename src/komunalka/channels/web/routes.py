"""The resident cabinet's router: public sign-up and sign-in pages, and the resident's own
pages (dashboard, linking, readings, history, profile). CSRF guards every form."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from komunalka.application.shared.ports import ChartRenderer
from komunalka.channels.pages.security import csrf_protect
from komunalka.channels.pages.templating import Pages
from komunalka.channels.web.alerts import add_alert_routes
from komunalka.channels.web.auth import add_auth_routes
from komunalka.channels.web.cabinet import add_cabinet_routes
from komunalka.channels.web.care import add_care_routes
from komunalka.channels.web.common import Cabinet
from komunalka.channels.web.consent import add_consent_routes
from komunalka.channels.web.history import add_history_routes
from komunalka.channels.web.meters import add_meter_routes
from komunalka.channels.web.readings import add_readings_routes
from komunalka.channels.web.receipts import add_receipt_routes
from komunalka.channels.web.use_cases import CabinetUseCases


def build_router(
    use_cases: CabinetUseCases,
    pages: Pages,
    secure: bool,
    charts: ChartRenderer,
    telegram_bot_name: str | None = None,
    *,
    telegram_token: str | None = None,
    web_url: str = "http://127.0.0.1:8000",
) -> APIRouter:
    router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
    cab = Cabinet(use_cases, pages, secure, charts, telegram_bot_name, telegram_token, web_url)
    add_auth_routes(router, cab)
    add_cabinet_routes(router, cab)
    add_readings_routes(router, cab)
    add_history_routes(router, cab)
    add_meter_routes(router, cab)
    add_receipt_routes(router, cab)
    add_consent_routes(router, cab)
    add_care_routes(router, cab)
    add_alert_routes(router, cab)
    return router
