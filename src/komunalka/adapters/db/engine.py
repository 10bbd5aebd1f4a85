"""Engines and transactions. Only bootstrap calls `create_engine`."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from komunalka.adapters.db import scope

WRITE = "komunalka_write"


def create_engine(url: str, *, pool_size: int = 20) -> AsyncEngine:
    """An engine for SQLite (aiosqlite) or PostgreSQL (asyncpg), tuned for this service."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, in_memory=parsed.database in (None, "", ":memory:"))
    # A fixed pool: a connection opened past it would be closed again on return, and a new
    # PostgreSQL session (a process, its caches, the driver's prepared statements) costs far more
    # than waiting a moment for a pooled one.
    # Autocommit at the driver: transactions run on asyncpg themselves (see
    # SqlTransaction); code that wants SQLAlchemy's own transactions asks for an isolation level
    # (migrations do, see migrate.py).
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        isolation_level="AUTOCOMMIT",
    )


def _sqlite_engine(url: str, *, in_memory: bool) -> AsyncEngine:
    options: dict[str, Any] = {"connect_args": {"timeout": 30}}
    if in_memory:
        options["poolclass"] = StaticPool
    engine = create_async_engine(url, **options)

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _: Any) -> None:
        # Let SQLAlchemy's "begin" event below, not the driver, start transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "foreign_keys=ON",
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=30000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Any) -> None:
        # A writer takes the write lock up front: read-then-write cannot fail half-way, and
        # concurrent submissions to one meter run one after another.
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class SqlTransaction:
    """One connection, one transaction, seen by every repository the calling task uses
    (scope.py). Leaving without `commit()` rolls back.

    On PostgreSQL the transaction is the driver's own (asyncpg), with SQLAlchemy in autocommit
    mode inside it: the hot-path repositories (postgres.py) run fixed SQL on the driver
    connection and the rest run SQLAlchemy Core, all in the one transaction. With
    `autocommit=True` there is no transaction on PostgreSQL: each statement commits or fails on
    its own (SubmitReadings' one-meter path, whose write is a single statement). SQLite always
    runs a transaction.
    """

    def __init__(self, engine: AsyncEngine, *, write: bool, autocommit: bool = False) -> None:
        self._engine = engine
        self._write = write
        self._autocommit = autocommit
        self._conn: AsyncConnection | None = None
        self._raw: Any = None
        self._pg_tx: Any = None
        self._committed = False

    async def __aenter__(self) -> Self:
        conn = await self._engine.connect()
        try:
            if conn.dialect.name == "postgresql":
                # checked out already: reaching the driver connection does no I/O
                raw: Any = conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
                if not self._autocommit:  # else each statement is a transaction of its own
                    self._pg_tx = raw.transaction()
                    await self._pg_tx.start()
                self._raw = raw
            else:
                if self._write:
                    await conn.execution_options(**{WRITE: True})
                await conn.begin()
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        self._scope = scope.enter(scope.Scope(conn, self._raw))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        try:
            if self._pg_tx is not None:
                if not self._committed:
                    await self._pg_tx.rollback()
            elif self._conn.dialect.name == "postgresql":
                pass  # autocommit: every statement has committed or failed on its own
            elif self._conn.in_transaction():
                await self._conn.rollback()
        finally:
            scope.leave(self._scope)
            await self._conn.close()
            self._conn = None

    async def commit(self) -> None:
        assert self._conn is not None
        if self._pg_tx is not None:
            await self._pg_tx.commit()
            self._committed = True
        elif self._conn.dialect.name != "postgresql":
            await self._conn.commit()


class SqlTransactions:
    """The `Transactions` port on an engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def __call__(self, *, write: bool = False, autocommit: bool = False) -> SqlTransaction:
        return SqlTransaction(self.engine, write=write, autocommit=autocommit)
