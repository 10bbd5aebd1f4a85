"""Meter photos kept as evidence (ADR 0027), on SQLAlchemy Core for both databases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update

from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import meter_photos, suppliers
from komunalka.application.readings.photo_evidence import NewPhoto, PhotoInfo
from komunalka.domain.periods import BillingPeriod

_INFO = (
    meter_photos.c.id,
    meter_photos.c.meter_id,
    meter_photos.c.register,
    meter_photos.c.period,
    meter_photos.c.channel,
    meter_photos.c.read_value,
    meter_photos.c.sha256,
    meter_photos.c.size,
    meter_photos.c.width,
    meter_photos.c.height,
    meter_photos.c.received_at,
)


class SqlPhotoStore(InScope):
    async def add(self, photo: NewPhoto) -> int:
        image = photo.image
        values = {
            "meter_id": photo.meter_id,
            "register": photo.register,
            "supplier_id": photo.supplier_id,
            "period": photo.period.index,
            "channel": photo.channel,
            "resident_id": photo.resident_id,
            "sha256": image.sha256,
            "size": len(image.content),
            "width": image.width,
            "height": image.height,
            "content": image.content,
            "received_at": photo.received_at,
        }
        stmt = insert(meter_photos).values(values).returning(meter_photos.c.id)
        return int((await self._conn.execute(stmt)).scalar_one())

    async def set_read_value(self, photo_id: int, value: int | None) -> None:
        stmt = update(meter_photos).where(meter_photos.c.id == photo_id)
        await self._conn.execute(stmt.values(read_value=value))

    async def of_meter(self, meter_id: int) -> list[PhotoInfo]:
        query = (
            select(*_INFO)
            .where(meter_photos.c.meter_id == meter_id)
            .order_by(meter_photos.c.received_at.desc(), meter_photos.c.id.desc())
        )
        rows = (await self._conn.execute(query)).all()
        return [
            PhotoInfo(
                r.id,
                r.meter_id,
                r.register,
                BillingPeriod.from_index(r.period),
                r.channel,
                r.read_value,
                r.sha256,
                r.size,
                r.width,
                r.height,
                r.received_at,
            )
            for r in rows
        ]

    async def content(self, photo_id: int) -> tuple[int, bytes] | None:
        query = select(meter_photos.c.meter_id, meter_photos.c.content).where(
            meter_photos.c.id == photo_id
        )
        row = (await self._conn.execute(query)).first()
        return (int(row.meter_id), bytes(row.content)) if row else None

    async def retention(self) -> dict[int, int]:
        query = (
            select(suppliers.c.id, suppliers.c.photo_retention_days)
            .join(meter_photos, meter_photos.c.supplier_id == suppliers.c.id)
            .group_by(suppliers.c.id, suppliers.c.photo_retention_days)
        )
        return {int(r.id): int(r.photo_retention_days) for r in await self._conn.execute(query)}

    async def set_retention(self, supplier_code: str, days: int) -> bool:
        stmt = update(suppliers).where(suppliers.c.code == supplier_code)
        done = await self._conn.execute(stmt.values(photo_retention_days=days))
        return bool(done.rowcount)

    async def forget(self, supplier_id: int, before: datetime) -> int:
        stmt = delete(meter_photos).where(
            meter_photos.c.supplier_id == supplier_id, meter_photos.c.received_at < before
        )
        return int((await self._conn.execute(stmt)).rowcount or 0)
