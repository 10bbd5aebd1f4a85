"""CleanUp against a fake of its port: the cutoffs follow the retention, batches are bounded and
each is a transaction of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from komunalka.application.system.clean_up import KINDS, CleanUp, CleanUpReport, Retention
from tests.fakes import FakeClock, FakeExpiredRows, InMemoryStore

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)


async def test_each_kind_is_cut_at_its_retention() -> None:
    rows = FakeExpiredRows(stale_imports=2)
    keep = Retention(deliveries=timedelta(days=3), attempts=timedelta(days=10))
    report = await CleanUp(InMemoryStore(), rows, FakeClock(NOW), keep)()
    cutoffs = {kind: before for kind, before, _ in rows.calls}
    assert list(cutoffs) == list(KINDS)
    assert cutoffs["deliveries"] == NOW - timedelta(days=3)
    assert cutoffs["sign_in_attempts"] == cutoffs["link_attempts"] == NOW - timedelta(days=10)
    assert cutoffs["outbox"] == NOW - timedelta(days=90)
    assert cutoffs["web_sessions"] == NOW  # an expired session is of no use
    assert cutoffs["one_time_tokens"] == cutoffs["media"] == NOW - timedelta(days=1)
    assert rows.abandoned_before == NOW - timedelta(days=3)
    assert report == CleanUpReport(imports_abandoned=2)


async def test_a_run_deletes_in_bounded_batches_each_committed() -> None:
    storage = InMemoryStore()
    rows = FakeExpiredRows({"outbox": 25, "media": 3})
    clean = CleanUp(storage, rows, FakeClock(NOW), Retention(batch=10, batches=2))
    first = await clean()
    assert (first.outbox, first.media, first.unfinished) == (20, 3, ["outbox"])
    assert {limit for _, _, limit in rows.calls} == {10}
    # one transaction to abandon imports, then one a batch: outbox 2, media 1, the others 1 each
    assert storage.commits == 1 + 2 + 1 + (len(KINDS) - 2)
    second = await clean()
    assert (second.outbox, second.unfinished) == (5, [])
