"""The app's outermost middleware: request bodies bounded per route (body_limits.py) and the
security headers of every answer (security_headers.py). The bounds on a request's head and on
idle connections are the server's (http_server.py)."""

from __future__ import annotations

from fastapi import FastAPI

from komunalka.bootstrap.body_limits import BodyLimits
from komunalka.bootstrap.security_headers import WIDGET_PAGES, SecurityHeaders
from komunalka.bootstrap.settings import Settings


def install_guards(app: FastAPI, settings: Settings) -> None:
    limits = [
        ("/api/", settings.body_limit_api),
        ("/webhooks/", settings.body_limit_webhooks),
        ("/supplier/registry", settings.body_limit_upload),
        ("/readings/photo", settings.body_limit_photo),
        ("/operator/photo-reads/", settings.body_limit_photo),
    ]
    app.add_middleware(BodyLimits, limits=limits, default=settings.body_limit_default)
    # added last, so outermost: even a refused body's 413 carries the headers
    widget_pages = WIDGET_PAGES if settings.telegram_bot_name else frozenset()
    app.add_middleware(SecurityHeaders, widget_pages=widget_pages)
