"""The clean-up job on SQLite and PostgreSQL: what is past its retention goes, in bounded
batches; what is newer, and what a live session, turn, message or import needs, stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from komunalka.adapters.db.registry_jobs import add_counts, open_job
from komunalka.adapters.db.tables import (
    deliveries,
    link_attempts,
    media,
    one_time_tokens,
    outbox,
    registry_imports,
    registry_rows,
    registry_seen,
    sign_in_attempts,
    web_sessions,
)
from komunalka.application.suppliers.ports import MergeCounts
from komunalka.application.suppliers.registry_staging import ImportTakenOver
from komunalka.application.system.clean_up import CleanUp, Retention
from komunalka.bootstrap.jobs import periodic_jobs
from komunalka.bootstrap.settings import Settings
from komunalka.bootstrap.wiring import Wiring
from tests.fakes import FakeClock

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


async def rows(engine, table, *where) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).select_from(table)
        return int((await conn.execute(query.where(*where) if where else query)).scalar_one())


async def fill(engine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            deliveries.insert(),
            [
                {
                    "channel": "telegram",
                    "delivery_id": "old",
                    "at": ago(days=8),
                    "lease_until": None,
                },
                {
                    "channel": "telegram",
                    "delivery_id": "new",
                    "at": ago(days=6),
                    "lease_until": None,
                },
                # a turn under way (a redelivery must still find it), however old
                {
                    "channel": "viber",
                    "delivery_id": "leased",
                    "at": ago(days=9),
                    "lease_until": NOW + timedelta(seconds=30),
                },
            ],
        )
        await conn.execute(
            sign_in_attempts.insert(),
            [
                {"key": "login:a", "success": False, "at": ago(days=31)},
                {"key": "login:a", "success": False, "at": ago(days=29)},
            ],
        )
        await conn.execute(
            link_attempts.insert(),
            [
                {"resident_id": 1, "supplier_id": 1, "account_number": "1", "success": False,
                 "at": at}
                for at in (ago(days=40), ago(hours=2))
            ],
        )  # fmt: skip
        await conn.execute(
            web_sessions.insert(),
            [
                {"token_hash": h, "kind": "resident", "subject_id": 1, "created_at": ago(days=20),
                 "expires_at": exp}
                for h, exp in (("expired", ago(minutes=1)), ("live", NOW + timedelta(hours=1)))
            ],
        )  # fmt: skip
        await conn.execute(
            one_time_tokens.insert(),
            [
                {"token_hash": h, "purpose": "reset", "subject_id": 1, "expires_at": exp,
                 "used_at": used}
                for h, exp, used in (
                    ("dead", ago(days=2), None),
                    ("used-dead", ago(days=3), ago(days=3)),
                    ("live", NOW + timedelta(minutes=30), None),
                )
            ],
        )  # fmt: skip
        await conn.execute(
            media.insert(),
            [
                {"token": t, "content": b"x", "content_type": "image/png", "created_at": at}
                for t, at in (("old", ago(days=2)), ("new", ago(hours=3)))
            ],
        )
        await conn.execute(
            outbox.insert(),
            [
                {"channel": "email", "recipient": "a@example.com", "subject": "s", "body": state,
                 "created_at": at, "state": state}
                for state, at in (
                    ("sent", ago(days=91)),
                    ("failed", ago(days=95)),
                    ("unknown", ago(days=100)),
                    ("sent", ago(days=10)),
                    ("waiting", ago(days=200)),  # never touched: it is still to be sent
                    ("sending", ago(days=200)),
                )
            ],
        )  # fmt: skip


async def test_what_is_past_its_retention_goes_and_the_rest_stays(uow, engine) -> None:
    await fill(engine)
    report = await CleanUp(uow, uow.expired_rows, FakeClock(NOW))()
    assert report.deliveries == 1 and report.sign_in_attempts == 1 and report.link_attempts == 1
    assert (report.web_sessions, report.one_time_tokens, report.media) == (1, 2, 1)
    assert report.outbox == 3 and report.unfinished == []
    async with engine.connect() as conn:
        kept = {r[0] for r in await conn.execute(select(deliveries.c.delivery_id))}
        assert kept == {"new", "leased"}
        assert {r[0] for r in await conn.execute(select(web_sessions.c.token_hash))} == {"live"}
        assert {r[0] for r in await conn.execute(select(one_time_tokens.c.token_hash))} == {"live"}
        assert {r[0] for r in await conn.execute(select(media.c.token))} == {"new"}
        states = sorted(r[0] for r in await conn.execute(select(outbox.c.state)))
        assert states == ["sending", "sent", "waiting"]
    assert await rows(engine, sign_in_attempts) == 1
    assert await rows(engine, link_attempts) == 1
    again = await CleanUp(uow, uow.expired_rows, FakeClock(NOW))()
    assert again.deliveries == again.outbox == again.media == 0


async def test_batches_are_bounded_and_the_rest_waits_for_the_next_run(uow, engine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            sign_in_attempts.insert(),
            [{"key": f"ip:{i}", "success": True, "at": ago(days=60)} for i in range(7)],
        )
    clean = CleanUp(uow, uow.expired_rows, FakeClock(NOW), Retention(batch=2, batches=2))
    first = await clean()
    assert (first.sign_in_attempts, first.unfinished) == (4, ["sign_in_attempts"])
    assert await rows(engine, sign_in_attempts) == 3
    second = await clean()
    assert (second.sign_in_attempts, second.unfinished) == (3, [])
    assert await rows(engine, sign_in_attempts) == 0


async def test_imports_idle_for_days_are_abandoned_and_only_their_rows_go(uow, engine) -> None:
    async with engine.begin() as conn:
        stale = await open_job(conn, "stale-file", ago(days=4), False)
        live = await open_job(conn, "live-file", ago(hours=1), False)
        done = await open_job(conn, None, ago(days=1), False)
        await conn.execute(
            registry_imports.update().where(registry_imports.c.id == done.id).values(state="done")
        )
        for job in (stale, live, done):
            await conn.execute(
                registry_rows.insert(),
                [{"import_id": job.id, "line": n, "duplicate": False} for n in range(1, 4)],
            )
            await conn.execute(
                registry_seen.insert(),
                [{"import_id": job.id, "supplier_id": 1, "serial": f"S{n}"} for n in range(2)],
            )
    report = await CleanUp(uow, uow.expired_rows, FakeClock(NOW))()
    assert report.imports_abandoned == 1
    assert (report.registry_rows, report.registry_seen) == (6, 4)
    assert await rows(engine, registry_rows) == 3
    assert await rows(engine, registry_rows, registry_rows.c.import_id == live.id) == 3
    assert await rows(engine, registry_seen, registry_seen.c.import_id == live.id) == 2
    async with engine.connect() as conn:
        states = dict(
            (await conn.execute(select(registry_imports.c.id, registry_imports.c.state))).all()
        )
    assert states == {stale.id: "abandoned", live.id: "running", done.id: "done"}
    # the abandoned import's runner, were it still alive, stops at its next step
    async with engine.begin() as conn:
        with pytest.raises(ImportTakenOver):
            await add_counts(conn, stale, MergeCounts(staged=1))
        await add_counts(conn, live, MergeCounts(staged=1))  # the live one goes on
        # a new upload of the stale file starts afresh instead of resuming what was deleted
        again = await open_job(conn, "stale-file", NOW, False)
    assert again.id not in (stale.id, live.id, done.id)


def test_the_worker_runs_the_clean_up_every_ten_minutes(uow) -> None:
    jobs = {job.name: job for job in periodic_jobs(Wiring.wire(uow, FakeClock(NOW)), Settings())}
    assert jobs["clean_up"].every == timedelta(minutes=10)
