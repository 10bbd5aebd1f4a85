"""The period files kept for download and the events announcing them (ADR 0018), on SQLAlchemy
Core: the same statements on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import insert, select, update

from komunalka.adapters.db.rows import dialect_insert
from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import period_files, supplier_events, suppliers
from komunalka.application.suppliers.ports import PeriodFile
from komunalka.domain.periods import BillingPeriod

_LISTED = (
    period_files.c.supplier_id,
    period_files.c.period,
    period_files.c.format,
    period_files.c.size,
    period_files.c.written_at,
)


def _file(row: object) -> PeriodFile:
    return PeriodFile(
        row.supplier_id,  # type: ignore[attr-defined]
        BillingPeriod.from_index(row.period),  # type: ignore[attr-defined]
        row.format,  # type: ignore[attr-defined]
        int(row.size),  # type: ignore[attr-defined]
        row.written_at,  # type: ignore[attr-defined]
    )


class SqlPeriodFiles(InScope):
    """PeriodFileStore."""

    async def file_formats(self) -> dict[int, str]:
        rows = await self._conn.execute(select(suppliers.c.id, suppliers.c.file_format))
        return {row.id: row.file_format for row in rows}

    async def set_file_format(self, supplier_id: int, fmt: str) -> None:
        stmt = update(suppliers).where(suppliers.c.id == supplier_id)
        await self._conn.execute(stmt.values(file_format=fmt))

    async def has(self, supplier_id: int, period: BillingPeriod) -> bool:
        query = select(period_files.c.period).where(
            period_files.c.supplier_id == supplier_id, period_files.c.period == period.index
        )
        return (await self._conn.execute(query)).first() is not None

    async def add(self, file: PeriodFile, content: bytes) -> bool:
        values = {
            "supplier_id": file.supplier_id,
            "period": file.period.index,
            "format": file.format,
            "content": content,
            "size": file.size,
            "written_at": file.written_at,
        }
        # A second writer of the same pair waits for the first to commit, then adds nothing.
        stmt = dialect_insert(self._conn, period_files).values(values)
        stmt = stmt.on_conflict_do_nothing(index_elements=["supplier_id", "period"])
        done = await self._conn.execute(stmt.returning(period_files.c.period))
        return done.first() is not None

    async def of_supplier(self, supplier_id: int, limit: int) -> list[PeriodFile]:
        query = (
            select(*_LISTED)
            .where(period_files.c.supplier_id == supplier_id)
            .order_by(period_files.c.period.desc())
            .limit(limit)
        )
        return [_file(row) for row in await self._conn.execute(query)]

    async def kept(
        self, supplier_id: int, period: BillingPeriod
    ) -> tuple[PeriodFile, bytes] | None:
        query = select(*_LISTED, period_files.c.content).where(
            period_files.c.supplier_id == supplier_id, period_files.c.period == period.index
        )
        row = (await self._conn.execute(query)).first()
        return (_file(row), bytes(row.content)) if row else None


class SqlSupplierEvents(InScope):
    """SupplierEvents: rows of `supplier_events`, in the caller's transaction."""

    async def record(
        self,
        supplier_id: int,
        kind: str,
        period: BillingPeriod,
        payload: Mapping[str, object],
        at: datetime,
        queued_at: datetime | None = None,
    ) -> None:
        values = {
            "supplier_id": supplier_id,
            "kind": kind,
            "period": period.index,
            "payload": json.dumps(payload, ensure_ascii=False, sort_keys=True),
            "created_at": at,
            "sent_at": queued_at,
        }
        await self._conn.execute(insert(supplier_events).values(values))
