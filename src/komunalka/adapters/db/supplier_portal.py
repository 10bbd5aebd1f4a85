"""The supplier portal's storage: a supplier's window rule, registry uploads, pull tokens and the
counts behind a period's statistics (aggregated by the database, never loaded row by row)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, exists, func, insert, select, update

from komunalka.adapters.db.queries import released
from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import (
    meters,
    readings,
    registry_uploads,
    supplier_tokens,
    suppliers,
)
from komunalka.application.suppliers.ports import (
    HourlyReadings,
    PeriodCounts,
    RegistryUpload,
    RejectedRow,
    SupplierToken,
)
from komunalka.domain.errors import Violation
from komunalka.domain.periods import BillingPeriod

_SUMMARY = (
    registry_uploads.c.id,
    registry_uploads.c.supplier_id,
    registry_uploads.c.staff_id,
    registry_uploads.c.filename,
    registry_uploads.c.status,
    registry_uploads.c.rows,
    registry_uploads.c.accepted,
    registry_uploads.c.rejected,
    registry_uploads.c.created_at,
    registry_uploads.c.finished_at,
    registry_uploads.c.heartbeat_at,
    registry_uploads.c.unchanged,
)


def problems_text(problems: Sequence[RejectedRow]) -> str:
    """Rejected rows as stored in ``registry_uploads.report``: JSON of lines, codes and their
    parameters (the doors word them in their reader's language)."""
    if not problems:
        return ""
    rows = [
        [p.line, [[v.code, {k: str(x) for k, x in v.params.items()}] for v in p.violations]]
        for p in problems
    ]
    return json.dumps(rows, ensure_ascii=False)


def _problems(text: str | None) -> tuple[RejectedRow, ...]:
    if not text:
        return ()
    if not text.startswith("["):
        return _legacy_problems(text)
    return tuple(
        RejectedRow(line, tuple(Violation(code, params) for code, params in found))
        for line, found in json.loads(text)
    )


def _legacy_problems(text: str) -> tuple[RejectedRow, ...]:
    """A report stored before uploads kept codes (CSV: line, codes, message in the uploader's
    language): the codes survive, their parameters were not kept."""
    rows = list(csv.reader(io.StringIO(text)))[1:]
    return tuple(
        RejectedRow(int(r[0] or 0), tuple(Violation(c) for c in r[1].split()))
        for r in rows
        if len(r) >= 2
    )


def _upload(row: Any, report: str | None = None) -> RegistryUpload:
    return RegistryUpload(
        row.id,
        row.supplier_id,
        row.staff_id,
        row.filename,
        row.status,
        row.rows,
        row.accepted,
        row.rejected,
        row.created_at,
        row.finished_at,
        _problems(report),
        row.heartbeat_at,
        row.unchanged,
    )


def _as_utc(value: Any) -> datetime:
    """An hour from either database: SQLite gives text, PostgreSQL an aware datetime."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class SqlSupplierPortalRepository(InScope):
    async def services_of(self, supplier_id: int) -> list[str]:
        query = select(suppliers.c.services).where(suppliers.c.id == supplier_id)
        found = (await self._conn.execute(query)).scalar()
        return [s for s in (found or "").split(",") if s]

    async def photo_days_of(self, supplier_id: int) -> int:
        query = select(suppliers.c.photo_retention_days).where(suppliers.c.id == supplier_id)
        return int((await self._conn.execute(query)).scalar_one())

    async def set_photo_days(self, supplier_id: int, days: int) -> None:
        stmt = update(suppliers).where(suppliers.c.id == supplier_id)
        await self._conn.execute(stmt.values(photo_retention_days=days))

    async def set_window_rule(self, supplier_id: int, rule: str, timezone: str) -> None:
        stmt = update(suppliers).where(suppliers.c.id == supplier_id)
        await self._conn.execute(stmt.values(window_rule=rule, timezone=timezone))

    async def add_upload(
        self, supplier_id: int, staff_id: int | None, filename: str, at: datetime
    ) -> int:
        values = {
            "supplier_id": supplier_id,
            "staff_id": staff_id,
            "filename": filename,
            "status": "running",
            "created_at": at,
            "heartbeat_at": at,
        }
        stmt = insert(registry_uploads).values(values).returning(registry_uploads.c.id)
        return int((await self._conn.execute(stmt)).scalar_one())

    async def finish_upload(
        self,
        upload_id: int,
        status: str,
        counts: tuple[int, int, int, int],
        problems: Sequence[RejectedRow],
        at: datetime,
    ) -> None:
        rows, accepted, rejected, unchanged = counts
        stmt = update(registry_uploads).where(registry_uploads.c.id == upload_id)
        values = {
            "status": status,
            "rows": rows,
            "accepted": accepted,
            "rejected": rejected,
            "unchanged": unchanged,
            "report": problems_text(problems),
            "finished_at": at,
        }
        await self._conn.execute(stmt.values(values))

    async def upload(self, upload_id: int) -> RegistryUpload | None:
        query = select(*_SUMMARY, registry_uploads.c.report).where(
            registry_uploads.c.id == upload_id
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else _upload(row, row.report)

    async def uploads(self, supplier_id: int, limit: int) -> list[RegistryUpload]:
        query = (
            select(*_SUMMARY)
            .where(registry_uploads.c.supplier_id == supplier_id)
            .order_by(registry_uploads.c.id.desc())
            .limit(limit)
        )
        return [_upload(r) for r in await self._conn.execute(query)]

    async def add_token(
        self, supplier_id: int, token_hash: str, label: str, staff_id: int | None, at: datetime
    ) -> int:
        values = {
            "supplier_id": supplier_id,
            "token_hash": token_hash,
            "label": label,
            "created_by": staff_id,
            "created_at": at,
        }
        stmt = insert(supplier_tokens).values(values).returning(supplier_tokens.c.id)
        return int((await self._conn.execute(stmt)).scalar_one())

    async def tokens(self, supplier_id: int) -> list[SupplierToken]:
        query = (
            select(supplier_tokens)
            .where(supplier_tokens.c.supplier_id == supplier_id)
            .order_by(supplier_tokens.c.id.desc())
        )
        return [
            SupplierToken(r.id, r.supplier_id, r.label, r.created_at, r.revoked_at)
            for r in await self._conn.execute(query)
        ]

    async def revoke_token(self, supplier_id: int, token_id: int, at: datetime) -> bool:
        live = and_(
            supplier_tokens.c.id == token_id,
            supplier_tokens.c.supplier_id == supplier_id,
            supplier_tokens.c.revoked_at.is_(None),
        )
        result = await self._conn.execute(update(supplier_tokens).where(live).values(revoked_at=at))
        return bool(result.rowcount)

    async def supplier_for_token(self, token_hash: str) -> int | None:
        query = select(supplier_tokens.c.supplier_id).where(
            supplier_tokens.c.token_hash == token_hash, supplier_tokens.c.revoked_at.is_(None)
        )
        found = (await self._conn.execute(query)).scalar()
        return int(found) if found is not None else None

    async def period_counts(
        self, supplier_id: int, period: BillingPeriod, by: datetime | None = None
    ) -> PeriodCounts:
        accepted = and_(
            readings.c.period == period.index, readings.c.status == "accepted", released(by)
        )
        sent = exists().where(readings.c.meter_id == meters.c.id, accepted)
        active = and_(meters.c.supplier_id == supplier_id, meters.c.status == "active")
        totals = select(
            select(func.count()).where(active).scalar_subquery(),
            select(func.count()).where(active, sent).scalar_subquery(),
        )
        active_count, sent_count = (await self._conn.execute(totals)).one()
        return PeriodCounts(
            int(active_count), int(sent_count), await self._hours(supplier_id, period, by)
        )

    async def _hours(
        self, supplier_id: int, period: BillingPeriod, by: datetime | None
    ) -> tuple[HourlyReadings, ...]:
        # Grouped by the UTC hour: Kyiv's offset is whole hours, so the caller folds hours into
        # local days exactly, and the database returns at most a few hundred rows.
        if self._conn.dialect.name == "postgresql":
            hour: Any = func.date_trunc("hour", readings.c.submitted_at)
        else:
            hour = func.strftime("%Y-%m-%d %H:00:00", readings.c.submitted_at)
        query = (
            select(hour.label("hour"), readings.c.channel, func.count().label("n"))
            .join(meters, meters.c.id == readings.c.meter_id)
            .where(
                meters.c.supplier_id == supplier_id,
                readings.c.period == period.index,
                readings.c.status == "accepted",
                released(by),
            )
            .group_by(hour, readings.c.channel)
        )
        rows = await self._conn.execute(query)
        return tuple(HourlyReadings(_as_utc(r.hour), r.channel, int(r.n)) for r in rows)
