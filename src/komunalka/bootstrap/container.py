"""The composition root: settings → engine → unit of work → use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.clock import FrozenClock, SystemClock
from komunalka.adapters.db.dialogs import SqlDialogStateStore
from komunalka.adapters.db.engine import SqlUnitOfWorkFactory, create_engine
from komunalka.adapters.redis_dialogs import RedisDialogStateStore
from komunalka.application.ports import Clock, DialogStateStore
from komunalka.application.use_cases import UseCases
from komunalka.bootstrap.settings import Settings


@dataclass(frozen=True, slots=True)
class Container:
    settings: Settings
    engine: AsyncEngine
    use_cases: UseCases


def make_clock(settings: Settings) -> Clock:
    return FrozenClock(settings.now) if settings.now else SystemClock()


def dialog_store(settings: Settings, engine: AsyncEngine) -> DialogStateStore:
    """Redis when KOMUNALKA_REDIS_URL is set, the database otherwise."""
    if settings.redis_url:
        from redis.asyncio import Redis

        return RedisDialogStateStore(Redis.from_url(settings.redis_url))
    return SqlDialogStateStore(engine)


def build(settings: Settings) -> Container:
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    use_cases = UseCases.wire(SqlUnitOfWorkFactory(engine), make_clock(settings))
    return Container(settings, engine, use_cases)


@asynccontextmanager
async def running(settings: Settings | None = None) -> AsyncIterator[Container]:
    container = build(settings or Settings())
    try:
        yield container
    finally:
        await container.engine.dispose()
