"""One pooled connection held for a chat turn (adapters/db/engine.py `held`): the turn's
transactions take it in turn, each still committing or rolling back on its own, and a
transaction that finds it busy (opened inside another, or by a task started meanwhile) checks
out its own instead of sharing a connection mid-statement."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.db import scope
from komunalka.adapters.db.engine import held
from komunalka.adapters.db.storage import SqlStorage
from komunalka.domain.meters import Supplier
from komunalka.domain.windows import WindowRule


def counted_checkouts(engine: AsyncEngine) -> list[object]:
    found: list[object] = []
    event.listen(engine.sync_engine, "checkout", lambda *args: found.append(args))
    return found


async def backend(uow: SqlStorage) -> int:
    """The PostgreSQL session the calling task's transaction runs on."""
    async with uow(autocommit=True):
        pid: int = await scope.current().raw.fetchval("SELECT pg_backend_pid()")
    return pid


def supplier(code: str) -> Supplier:
    return Supplier(0, code, code, WindowRule.parse("1..5"), r"\d{7}")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_held_blocks_transactions_share_one_checkout_and_each_ends_on_its_own(
    engine: AsyncEngine, uow: SqlStorage
) -> None:
    checkouts = counted_checkouts(engine)
    async with held(engine):
        first, second = await backend(uow), await backend(uow)
        async with uow(write=True) as tx:
            await uow.suppliers.add(supplier("kept"), ["gas"])
            await tx.commit()
        async with uow(write=True):
            await uow.suppliers.add(supplier("dropped"), ["gas"])  # no commit: rolled back
        async with uow() as tx:
            assert [s.code for s in await uow.suppliers.all()] == ["kept"]
    assert first == second
    assert len(checkouts) == 1
    async with uow():  # elsewhere, after the block
        assert [s.code for s in await uow.suppliers.all()] == ["kept"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_transaction_that_finds_the_held_connection_busy_checks_out_its_own(
    engine: AsyncEngine, uow: SqlStorage
) -> None:
    async with held(engine):
        async with uow(autocommit=True):
            outer: Any = scope.current().raw
            inner = await backend(uow)  # opened inside the other
            assert scope.current().raw is outer  # and the outer one's scope is back
        assert inner != await outer.fetchval("SELECT pg_backend_pid()")

        overlap = asyncio.Barrier(2)

        async def alongside() -> int:
            async with uow(autocommit=True):
                await overlap.wait()  # both transactions open at once
                pid: int = await scope.current().raw.fetchval("SELECT pg_backend_pid()")
                return pid

        one, two = await asyncio.gather(alongside(), alongside())
        assert one != two


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_on_sqlite_a_held_block_changes_nothing(engine: AsyncEngine, uow: SqlStorage) -> None:
    checkouts = counted_checkouts(engine)
    async with held(engine):
        for code in ("a", "b"):
            async with uow(write=True) as tx:
                await uow.suppliers.add(supplier(code), ["gas"])
                await tx.commit()
    assert len(checkouts) == 2
    async with uow():
        assert sorted(s.code for s in await uow.suppliers.all()) == ["a", "b"]
