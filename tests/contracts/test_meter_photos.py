"""Contract of the meter photos' store (PhotoStore): the in-memory fake and the database
adapter on SQLite and PostgreSQL keep, list, open, retain and forget photos alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from komunalka.application.readings.photo_evidence import CleanImage, NewPhoto
from komunalka.domain.periods import BillingPeriod
from tests.world import build_world

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


def photo(meter: int, supplier: int, at: datetime, content: bytes = b"\xff\xd8jpeg") -> NewPhoto:
    image = CleanImage(content, 4, 3, "ab" * 32)
    return NewPhoto(meter, "T1", supplier, BillingPeriod(2026, 11), "telegram", 1, image, at)


async def test_photos_are_kept_listed_newest_first_and_opened(storage: Any) -> None:
    world = await build_world(storage)
    async with storage(write=True) as tx:
        first = await storage.photos.add(photo(world.hot_water, world.kte.id, AT))
        second = await storage.photos.add(photo(world.hot_water, world.kte.id, AT + timedelta(1)))
        await storage.photos.set_read_value(second, 117)
        await tx.commit()
    async with storage():
        listed = await storage.photos.of_meter(world.hot_water)
        assert [(p.id, p.read_value) for p in listed] == [(second, 117), (first, None)]
        assert (listed[0].sha256, listed[0].size, listed[0].width) == ("ab" * 32, 6, 4)
        assert listed[0].received_at == AT + timedelta(1)
        assert str(listed[0].period) == "2026-11" and listed[0].channel == "telegram"
        assert await storage.photos.content(first) == (world.hot_water, b"\xff\xd8jpeg")
        assert await storage.photos.content(second + 100) is None
        assert await storage.photos.of_meter(world.electricity) == []


async def test_photos_are_forgotten_by_their_suppliers_retention(storage: Any) -> None:
    world = await build_world(storage)
    async with storage(write=True) as tx:
        await storage.photos.add(photo(world.hot_water, world.kte.id, AT))
        await storage.photos.add(photo(world.electricity, world.yasno.id, AT))
        assert await storage.photos.retention() == {world.kte.id: 730, world.yasno.id: 730}
        assert await storage.photos.set_retention("kte", 30)
        assert not await storage.photos.set_retention("nobody", 30)
        assert await storage.photos.retention() == {world.kte.id: 30, world.yasno.id: 730}
        assert await storage.photos.forget(world.kte.id, AT) == 0  # not older than that
        assert await storage.photos.forget(world.kte.id, AT + timedelta(seconds=1)) == 1
        await tx.commit()
    async with storage():
        assert await storage.photos.of_meter(world.hot_water) == []
        assert len(await storage.photos.of_meter(world.electricity)) == 1
        assert await storage.photos.retention() == {world.yasno.id: 730}
