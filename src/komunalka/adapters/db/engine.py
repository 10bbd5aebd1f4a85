"""Engines and the unit of work. Only bootstrap calls `create_engine`."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from komunalka.adapters.db.operator import SqlConsoleRepository
from komunalka.adapters.db.postgres import (
    PgAuditLog,
    PgMeterRepository,
    PgReadingRepository,
    PgSubmissionRepository,
)
from komunalka.adapters.db.queries import SqlReadingQueries
from komunalka.adapters.db.readings import (
    SqlAuditLog,
    SqlReadingRepository,
    SqlSubmissionRepository,
)
from komunalka.adapters.db.registry import SqlRegistryStaging
from komunalka.adapters.db.registry_pg import PgRegistryStaging
from komunalka.adapters.db.repositories import (
    SqlAccountRepository,
    SqlIdentityRepository,
    SqlLinkAttemptRepository,
    SqlMediaRepository,
    SqlMeterRepository,
    SqlResidentRepository,
    SqlSupplierRepository,
    SqlTariffRepository,
    SqlTokenRepository,
)
from komunalka.adapters.db.supplier_portal import SqlSupplierPortalRepository
from komunalka.adapters.db.web import (
    SqlOneTimeTokenRepository,
    SqlOutbox,
    SqlResidentProfileRepository,
    SqlSignInAttemptRepository,
    SqlStaffRepository,
    SqlWebLoginRepository,
    SqlWebSessionRepository,
)
from komunalka.application import ports

WRITE = "komunalka_write"


def create_engine(url: str, *, pool_size: int = 20) -> AsyncEngine:
    """An engine for SQLite (aiosqlite) or PostgreSQL (asyncpg), tuned for this service."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, in_memory=parsed.database in (None, "", ":memory:"))
    # A fixed pool: a connection opened past it would be closed again on return, and a new
    # PostgreSQL session (a process, its caches, the driver's prepared statements) costs far more
    # than waiting a moment for a pooled one.
    # Autocommit at the driver: units of work run the transaction on asyncpg themselves (see
    # SqlUnitOfWork); code that wants SQLAlchemy's own transactions asks for an isolation level
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


class SqlUnitOfWork:
    """One connection, one transaction. Leaving without `commit()` rolls back.

    On PostgreSQL the transaction is the driver's own (asyncpg), with SQLAlchemy in autocommit
    mode inside it: the hot-path repositories (postgres.py) run fixed SQL on the driver
    connection and the rest run SQLAlchemy Core, all in the one transaction.
    """

    def __init__(self, engine: AsyncEngine, *, write: bool) -> None:
        self._engine = engine
        self._write = write
        self._conn: AsyncConnection | None = None
        self._pg_tx: Any = None
        self._committed = False

    async def __aenter__(self) -> Self:
        conn = await self._engine.connect()
        try:
            if conn.dialect.name == "postgresql":
                # checked out already: reaching the driver connection does no I/O
                raw: Any = conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
                self._pg_tx = raw.transaction()
                await self._pg_tx.start()
                self._wire_postgres(conn, raw)
            else:
                if self._write:
                    await conn.execution_options(**{WRITE: True})
                await conn.begin()
                self._wire(conn)
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        return self

    def _wire(self, conn: AsyncConnection) -> None:
        self.suppliers: ports.SupplierRepository = SqlSupplierRepository(conn)
        self.accounts: ports.AccountRepository = SqlAccountRepository(conn)
        self.meters: ports.MeterRepository = SqlMeterRepository(conn)
        self.readings: ports.ReadingRepository = SqlReadingRepository(conn)
        self.submissions: ports.SubmissionRepository = SqlSubmissionRepository(conn)
        self.audit: ports.AuditLog = SqlAuditLog(conn)
        self.link_attempts: ports.LinkAttemptRepository = SqlLinkAttemptRepository(conn)
        self.residents: ports.ResidentRepository = SqlResidentRepository(conn)
        self.tokens: ports.TokenRepository = SqlTokenRepository(conn)
        self.tariffs: ports.TariffRepository = SqlTariffRepository(conn)
        self.identities: ports.IdentityRepository = SqlIdentityRepository(conn)
        self.media: ports.MediaRepository = SqlMediaRepository(conn)
        self.registry: ports.RegistryStaging = SqlRegistryStaging(conn)
        self.queries: ports.ReadingQueries = SqlReadingQueries(conn)
        self.web_logins: ports.WebLoginRepository = SqlWebLoginRepository(conn)
        self.staff: ports.StaffRepository = SqlStaffRepository(conn)
        self.web_sessions: ports.WebSessionRepository = SqlWebSessionRepository(conn)
        self.sign_in_attempts: ports.SignInAttemptRepository = SqlSignInAttemptRepository(conn)
        self.one_time_tokens: ports.OneTimeTokenRepository = SqlOneTimeTokenRepository(conn)
        self.outbox: ports.Outbox = SqlOutbox(conn)
        self.profiles: ports.ResidentProfileRepository = SqlResidentProfileRepository(conn)
        # operator console (channels/operator)
        self.console: ports.ConsoleRepository = SqlConsoleRepository(conn)
        # supplier portal (door: supplier)
        self.supplier_portal: ports.SupplierPortalRepository = SqlSupplierPortalRepository(conn)

    def _wire_postgres(self, conn: AsyncConnection, raw: Any) -> None:
        self._wire(conn)
        self.meters = PgMeterRepository(conn, raw)
        self.readings = PgReadingRepository(conn, raw)
        self.submissions = PgSubmissionRepository(raw)
        self.audit = PgAuditLog(raw)
        self.registry = PgRegistryStaging(conn, raw)

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
            elif self._conn.in_transaction():
                await self._conn.rollback()
        finally:
            await self._conn.close()
            self._conn = None

    async def commit(self) -> None:
        assert self._conn is not None
        if self._pg_tx is not None:
            await self._pg_tx.commit()
            self._committed = True
        else:
            await self._conn.commit()

    async def ping(self) -> None:
        assert self._conn is not None
        await self._conn.exec_driver_sql("SELECT 1")


class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def __call__(self, *, write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, write=write)
