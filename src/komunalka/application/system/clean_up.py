"""CleanUp: deletes what only grew and has outlived its use, in bounded batches. The worker runs
it every few minutes (bootstrap/jobs.py); safe to run in several processes at once (a row is
deleted once, whoever gets it; a batch is a short transaction of its own).

What goes, and when (`Retention`):
- `deliveries`: the messengers' update ids, kept `deliveries` after they arrived (a messenger
  redelivers for a day at most); a turn under way (its lease not past) is kept whatever its age.
- `sign_in_attempts` and `link_attempts`: kept `attempts` (their limits look back an hour, and
  a day for an account's link attempts).
- `web_sessions` past their expiry, and `one_time_tokens` (password reset links) a day after
  theirs, used or not: nothing accepts them any more.
- `media`: pictures served by URL, kept a day (readings/media.py).
- `outbox`: messages sent, failed or of unknown fate, kept `outbox` after they were written
  (staff look at recent ones); waiting and sending messages are never touched.
- Registry imports still running `import_idle` after they started are abandoned (a million
  rows import in minutes: such an import's process died) and the rows they staged go, as do the
  leftovers of finished imports; a running import's rows stay.

It also makes the coming months' partitions of the audit log ahead (PostgreSQL, ADR 0030).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from komunalka.application.shared.ports import Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.application.system.ports import ExpiredRows, Partitions

KINDS = (
    "deliveries",
    "sign_in_attempts",
    "link_attempts",
    "web_sessions",
    "one_time_tokens",
    "media",
    "outbox",
    "registry_rows",
    "registry_seen",
)


@dataclass(frozen=True, slots=True)
class Retention:
    deliveries: timedelta = timedelta(days=7)
    attempts: timedelta = timedelta(days=30)
    outbox: timedelta = timedelta(days=90)
    import_idle: timedelta = timedelta(days=3)
    # rows a batch deletes (one short transaction), and batches a kind gets in one run at most
    batch: int = 1000
    batches: int = 100


@dataclass(frozen=True, slots=True)
class CleanUpReport:
    """Rows deleted, by kind; imports abandoned."""

    deliveries: int = 0
    sign_in_attempts: int = 0
    link_attempts: int = 0
    web_sessions: int = 0
    one_time_tokens: int = 0
    media: int = 0
    outbox: int = 0
    registry_rows: int = 0
    registry_seen: int = 0
    imports_abandoned: int = 0
    partitions_made: int = 0
    unfinished: list[str] = field(default_factory=list)  # kinds with more left for next run


class CleanUp:
    """Called by the worker's schedule only; deletes nothing a live session, token, turn,
    waiting message or running import needs."""

    def __init__(
        self,
        transactions: Transactions,
        rows: ExpiredRows,
        clock: Clock,
        retention: Retention | None = None,
        partitions: Partitions | None = None,
    ) -> None:
        self._transactions = transactions
        self._rows = rows
        self._clock = clock
        self._retention = retention or Retention()
        self._partitions = partitions

    async def __call__(self) -> CleanUpReport:
        now = self._clock.now()
        keep = self._retention
        async with self._transactions(write=True) as tx:
            abandoned = await self._rows.abandon_imports(now - keep.import_idle)
            await tx.commit()
        made = 0
        if self._partitions is not None:
            async with self._transactions(write=True) as tx:
                made = await self._partitions.create_ahead(now)
                await tx.commit()
        cutoffs = {
            "deliveries": now - keep.deliveries,
            "sign_in_attempts": now - keep.attempts,
            "link_attempts": now - keep.attempts,
            "web_sessions": now,
            "one_time_tokens": now - timedelta(days=1),
            "media": now - timedelta(days=1),
            "outbox": now - keep.outbox,
            "registry_rows": now,
            "registry_seen": now,
        }
        deleted: dict[str, int] = {}
        unfinished: list[str] = []
        for kind in KINDS:
            deleted[kind], more = await self._delete(kind, cutoffs[kind])
            if more:
                unfinished.append(kind)
        return CleanUpReport(
            **deleted, imports_abandoned=abandoned, partitions_made=made, unfinished=unfinished
        )

    async def _delete(self, kind: str, before: datetime) -> tuple[int, bool]:
        """Batches until one comes back short or the run's share is spent; whether more is
        left."""
        keep, total = self._retention, 0
        for _ in range(keep.batches):
            async with self._transactions(write=True) as tx:
                done = await self._rows.delete(kind, before, keep.batch)
                await tx.commit()
            total += done
            if done < keep.batch:
                return total, False
        return total, True
