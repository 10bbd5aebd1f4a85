"""The ASGI app factory: `uvicorn --factory komunalka.bootstrap.app:create_app`."""

from __future__ import annotations

import asyncio
import gc
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from komunalka.adapters.jobs import InProcessJobs
from komunalka.bootstrap.api_docs import add_api_docs
from komunalka.bootstrap.container import (
    Container,
    build,
    conversation,
    telegram_bot,
    viber_client,
)
from komunalka.bootstrap.guards import install_guards
from komunalka.bootstrap.observability import install_observability
from komunalka.bootstrap.settings import Settings
from komunalka.channels.api.errors import HANDLERS, on_http_error
from komunalka.channels.api.lean import complete_openapi
from komunalka.channels.api.routes import READ_BY_HAND, build_router
from komunalka.channels.api.supplier_routes import build_router as supplier_api_router

# supplier portal (door: supplier)
from komunalka.channels.api.use_cases import ApiUseCases, SupplierApiUseCases
from komunalka.channels.operator.routes import build_router as operator_router
from komunalka.channels.operator.use_cases import OperatorUseCases
from komunalka.channels.pages.routes import build_router as pages_router
from komunalka.channels.pages.routes import http_error_page, wants_page
from komunalka.channels.pages.routes import install_handlers as install_page_handlers
from komunalka.channels.pages.security import CsrfCookie
from komunalka.channels.pages.templating import STATIC, Pages
from komunalka.channels.pages.use_cases import PagesUseCases
from komunalka.channels.supplier.routes import build_router as supplier_router
from komunalka.channels.supplier.use_cases import SupplierUseCases
from komunalka.channels.telegram.door import TelegramDoor
from komunalka.channels.telegram.webhook import build_router as telegram_router
from komunalka.channels.viber.door import ViberDoor
from komunalka.channels.viber.use_cases import ViberUseCases
from komunalka.channels.viber.webhook import build_router as viber_router
from komunalka.channels.web.use_cases import CabinetUseCases
from komunalka.domain.services import Channel


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    container = container or build(settings or Settings())
    bot = telegram_bot(container.settings) if container.settings.telegram_token else None
    viber = viber_client(container.settings) if container.settings.viber_token else None
    cases = container.use_cases
    jobs = InProcessJobs()  # supplier portal: registry uploads run in the background

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with _periodic_jobs(container):
            # Everything built so far (the app, its routes, templates, catalogs, imported
            # modules) lives as long as the process: out of the collector's sight, a full
            # collection scans only what requests create, instead of pausing every request for
            # tens of milliseconds. No collection first: it found ~10 unreachable objects and took
            # 0.15-0.26 s of every start (docs/BENCHMARKS.md, "Start-up").
            gc.freeze()
            yield
            gc.unfreeze()
        await jobs.close()  # supplier portal
        if bot is not None:
            await bot.close()
        if viber is not None:
            await viber.aclose()
        await container.engine.dispose()

    app = FastAPI(
        title="Komunalka",
        version="0.1.0",
        description="Meter readings for every supplier, from one place.",
        lifespan=lifespan,
        docs_url=None,  # served from this service (api_docs.py)
        redoc_url=None,  # no package ships ReDoc to serve it offline
    )
    app.include_router(build_router(cases.door(ApiUseCases)))
    app.openapi = complete_openapi(app, READ_BY_HAND)  # type: ignore[method-assign]
    if bot is not None:
        door = TelegramDoor(conversation(container, Channel.TELEGRAM), bot)
        secret = container.settings.telegram_webhook_secret or ""
        answer = container.settings.telegram_answer_in_webhook
        app.include_router(telegram_router(door, secret, answer=answer))
    if viber is not None and container.settings.viber_token:
        viber_door = ViberDoor(
            conversation(container, Channel.VIBER),
            cases.door(ViberUseCases),
            viber,
            container.settings.web_url,
        )
        app.include_router(
            viber_router(viber_door, cases.door(ViberUseCases), container.settings.viber_token)
        )
    pages = Pages()
    secure = container.settings.cookie_secure
    app.include_router(pages_router(cases.door(PagesUseCases), pages, secure))
    # web cabinet (residents)
    from komunalka.channels.web.routes import build_router as cabinet_router

    bot_name = container.settings.telegram_bot_name
    app.include_router(
        cabinet_router(
            cases.door(CabinetUseCases),
            pages,
            secure,
            container.charts,
            bot_name,
            telegram_token=container.settings.telegram_token,
            web_url=container.settings.web_url,
        )
    )
    from komunalka.channels.web.unsubscribe import build_unsubscribe_router

    app.include_router(build_unsubscribe_router(container.use_cases.stop_reminders, pages))
    if container.settings.sms_secret:  # the SMS door (ADR 0026)
        from komunalka.channels.sms.door import SmsDoor
        from komunalka.channels.sms.use_cases import SmsUseCases
        from komunalka.channels.sms.webhook import build_router as sms_router

        sms_door = SmsDoor(cases.door(SmsUseCases), container.settings.web_url)
        app.include_router(sms_router(sms_door, container.settings.sms_secret))
    from komunalka.channels.web.alerts import build_alerts_router

    app.include_router(build_alerts_router(container.use_cases.confirm_alert, pages))
    install_page_handlers(app, pages)
    # operator console (channels/operator)
    app.include_router(operator_router(cases.door(OperatorUseCases), pages))
    # supplier portal (door: supplier)
    app.include_router(supplier_api_router(cases.door(SupplierApiUseCases)))
    app.include_router(supplier_router(cases.door(SupplierUseCases), pages, jobs))
    app.state.jobs = jobs
    add_api_docs(app)  # before /static: its files are under /static/swagger
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(CsrfCookie, secure=secure)
    install_guards(app, container.settings)  # bounded bodies, security headers
    install_observability(app, container)  # request ids and metrics (outermost), /metrics, /ready
    app.state.pages = pages
    app.state.pages_use_cases = cases.door(PagesUseCases)
    app.state.trust_forwarded_for = container.settings.trust_forwarded_for
    app.state.telegram_bot = bot
    app.state.viber_client = viber
    for exc, handler in HANDLERS.items():
        app.add_exception_handler(exc, handler)  # type: ignore[arg-type]

    async def http_error(request: Request, exc: Exception) -> Response:
        # a browser gets a page; the API, webhooks and scripts get the API's JSON error
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code in (404, 405) and wants_page(request):
            return http_error_page(pages, request, exc.status_code)
        return await on_http_error(request, exc)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.state.container = container
    return app


@asynccontextmanager
async def _periodic_jobs(container: Container) -> AsyncIterator[None]:
    """The outbox and the other periodic jobs, in this process unless separate workers run them
    (KOMUNALKA_JOBS_IN_PROCESS=false, docs/adr/0013-worker-and-job-queue.md)."""
    if not container.settings.jobs_in_process:
        yield
        return
    from komunalka.bootstrap.jobs import periodic_jobs

    jobs = periodic_jobs(container.use_cases, container.settings)
    stop = asyncio.Event()

    async def run() -> None:
        # taskiq (and the aiohttp its admin middleware imports) takes ~0.6 s to import: it loads
        # in a thread while the app already answers, as the jobs need it and requests do not.
        await asyncio.to_thread(importlib.import_module, "komunalka.bootstrap.queue")
        from komunalka.bootstrap.queue import jobs_in_process

        async with jobs_in_process(container.settings, jobs):
            await stop.wait()

    running = asyncio.create_task(run(), name="periodic-jobs-start")
    try:
        yield
    finally:
        stop.set()
        await running


def app_from_env() -> Any:
    """For `uvicorn --factory`: the app with settings from the environment."""
    return create_app()
