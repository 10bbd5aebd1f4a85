"""The system feature's probe of storage."""

from __future__ import annotations

from komunalka.adapters.db.scope import InScope


class SqlStorageProbe(InScope):
    async def ping(self) -> None:
        await self._conn.exec_driver_sql("SELECT 1")
