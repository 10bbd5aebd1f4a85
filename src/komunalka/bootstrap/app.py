"""The ASGI app factory: `uvicorn --factory komunalka.bootstrap.app:create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from komunalka.bootstrap.container import Container, build
from komunalka.bootstrap.settings import Settings
from komunalka.channels.api.errors import HANDLERS
from komunalka.channels.api.routes import build_router


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    container = container or build(settings or Settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await container.engine.dispose()

    app = FastAPI(
        title="Komunalka",
        version="0.1.0",
        description="Meter readings for every supplier, from one place.",
        lifespan=lifespan,
    )
    app.include_router(build_router(container.use_cases))
    for exc, handler in HANDLERS.items():
        app.add_exception_handler(exc, handler)  # type: ignore[arg-type]
    app.state.container = container
    return app


def app_from_env() -> Any:
    """For `uvicorn --factory`: the app with settings from the environment."""
    return create_app()
