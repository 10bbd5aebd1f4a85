"""UploadProgressLog on the database: a running upload's rows read and heartbeat, and the
uploads cut off by a process that died, in `registry_uploads` where every process sees them.

Each call is one short transaction of its own on a connection of its own, never the transaction
the calling task has open (the import's, which holds its rows until it ends). On PostgreSQL it
is one statement in autocommit. On SQLite the whole database has one writer and the import holds
it from start to end, so a call tries for the write lock without waiting and, finding it taken,
does nothing: no other process could read the progress anyway, and a process that died has let
the lock go, so an upload is never cut off while its import is alive.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.dml import Update

from komunalka.adapters.db.engine import WRITE
from komunalka.adapters.db.supplier_portal import problems_text
from komunalka.adapters.db.tables import registry_uploads
from komunalka.application.suppliers.ports import RejectedRow
from komunalka.domain.errors import Violation

_CUT_OFF = problems_text([RejectedRow(0, (Violation("portal.upload_cut_off"),))])
_uploads = registry_uploads.c


class SqlUploadProgress:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # One process, one connection: nobody else to show progress to, and no second writer.
        self._alone = engine.url.database in (None, "", ":memory:")

    async def report(self, upload_id: int, rows: int, at: datetime) -> bool:
        running = (_uploads.id == upload_id, _uploads.status == "running")
        stmt = update(registry_uploads).where(*running).values(rows=rows, heartbeat_at=at)
        return bool(await self._run(stmt))

    async def cut_off(self, supplier_id: int, stale_before: datetime, at: datetime) -> int:
        stale = (
            _uploads.supplier_id == supplier_id,
            _uploads.status == "running",
            func.coalesce(_uploads.heartbeat_at, _uploads.created_at) < stale_before,
        )
        values = {"status": "failed", "finished_at": at, "report": _CUT_OFF}
        return await self._run(update(registry_uploads).where(*stale).values(values))

    async def _run(self, stmt: Update) -> int:
        """Rows changed by `stmt`, run in a transaction of its own; 0 where it would wait."""
        if self._engine.dialect.name == "postgresql":
            async with self._engine.connect() as conn:  # autocommit: the statement commits
                return int((await conn.execute(stmt)).rowcount)
        if self._alone:
            return 0
        return await self._sqlite_without_waiting(stmt)

    async def _sqlite_without_waiting(self, stmt: Update) -> int:
        conn = await self._engine.connect()
        try:
            await conn.exec_driver_sql("PRAGMA busy_timeout=0")
            await conn.commit()
            await conn.execution_options(**{WRITE: True})
            try:
                await conn.begin()  # BEGIN IMMEDIATE: fails at once while another writes
                changed = int((await conn.execute(stmt)).rowcount)
                await conn.commit()
            except OperationalError as error:
                if "locked" not in str(error):
                    raise
                return 0
            return changed
        finally:
            # Never hand a connection that does not wait back to the pool.
            await conn.invalidate()
            await conn.close()
