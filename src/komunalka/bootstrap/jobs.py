"""The periodic jobs: a table of named use cases run every so often, built from the wiring.

A job joins the table when the wiring has a use case of its name, so a new one plugs in by
appearing there. Every job is safe to run in several processes at once: "exactly once" lives in
the database (the outbox claims its messages with a lease, ADR 0012), never in the queue, so a
duplicated kick costs a query, not a second message (ADR 0013).
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from komunalka.bootstrap.logs import request_id
from komunalka.bootstrap.metrics import metrics
from komunalka.bootstrap.settings import Settings
from komunalka.bootstrap.wiring import Wiring

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """`run` is a wired use case called with no arguments; it returns a report (a dataclass)."""

    name: str
    every: timedelta
    run: Callable[[], Awaitable[object]]


# Each job's name (the use case's in the wiring) and how often it runs.
SCHEDULE: tuple[tuple[str, Callable[[Settings], timedelta]], ...] = (
    ("deliver_outbox", lambda settings: timedelta(seconds=settings.outbox_interval)),
    ("plan_reminders", lambda _: timedelta(minutes=5)),
    ("send_reminders", lambda _: timedelta(seconds=10)),
    ("send_alerts", lambda _: timedelta(seconds=10)),  # leak and anomaly notices (ADR 0025)
    # A window's close is a day's boundary: found within five minutes; a file kept is not redone.
    ("write_period_files", lambda _: timedelta(minutes=5)),
    ("deliver_webhooks", lambda settings: timedelta(seconds=settings.webhook_interval)),
    # What only grew and outlived its use, in bounded batches (application/system/clean_up.py).
    ("clean_up", lambda _: timedelta(minutes=10)),
    # Meter photos past their supplier's retention (ADR 0027): days matter, not minutes.
    ("forget_expired_photos", lambda _: timedelta(hours=1)),
)


def periodic_jobs(wiring: Wiring, settings: Settings) -> list[PeriodicJob]:
    """The jobs of SCHEDULE whose use case the wiring has, in SCHEDULE's order."""
    jobs = []
    for name, every in SCHEDULE:
        run = getattr(wiring, name, None)  # Wiring raises AttributeError for unknown names
        if run is not None:
            jobs.append(PeriodicJob(name, every(settings), run))
    return jobs


def did_something(report: object) -> bool:
    """A dataclass report did something when any of its fields is not zero or empty."""
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        return any(getattr(report, f.name) for f in dataclasses.fields(report))
    return bool(report)


async def run_job(job: PeriodicJob) -> object:
    """One run of a job, counted in the metrics, its report logged at INFO when it did
    something."""
    start = time.perf_counter()
    token = request_id.set(f"job-{job.name}-{uuid.uuid4().hex[:12]}")  # groups the run's logs
    try:
        report = await job.run()
    except Exception:
        metrics().count_job(job.name, None, time.perf_counter() - start, failed=True)
        request_id.reset(token)
        raise
    metrics().count_job(job.name, report, time.perf_counter() - start, failed=False)
    if did_something(report):
        log.info("job %s: %s", job.name, report)
    request_id.reset(token)
    return report


async def run_scheduled(job: PeriodicJob) -> None:
    """A run kicked by the schedule: a failure is logged, not raised (the database may be away
    for a moment); the next kick tries again."""
    try:
        await run_job(job)
    except Exception:
        log.warning("job %s failed; it runs again at its next turn", job.name, exc_info=True)


def describe(report: object) -> str:
    """A report in one line: `sent=1, retried=0` for a dataclass."""
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        fields = dataclasses.fields(report)
        return ", ".join(f"{f.name}={getattr(report, f.name)}" for f in fields)
    return str(report)
