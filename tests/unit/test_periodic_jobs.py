"""The table of periodic jobs: built from what the wiring has, each run's report logged when it
did something."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from komunalka.bootstrap.jobs import PeriodicJob, describe, periodic_jobs, run_job
from komunalka.bootstrap.queue import interval_seconds
from komunalka.bootstrap.settings import Settings
from komunalka.bootstrap.wiring import Wiring


@dataclass(frozen=True)
class Report:
    sent: int = 0
    failed: int = 0


async def nothing() -> Report:
    return Report()


async def one_sent() -> Report:
    return Report(sent=1)


def test_a_job_joins_the_table_when_the_wiring_has_its_use_case() -> None:
    settings = Settings(outbox_interval=3)
    only_outbox = periodic_jobs(Wiring({"deliver_outbox": nothing}), settings)
    assert [(j.name, j.every) for j in only_outbox] == [("deliver_outbox", timedelta(seconds=3))]
    wired = Wiring(
        {"deliver_outbox": nothing, "send_reminders": one_sent, "plan_reminders": nothing}
    )
    assert [(j.name, j.every) for j in periodic_jobs(wired, settings)] == [
        ("deliver_outbox", timedelta(seconds=3)),
        ("plan_reminders", timedelta(minutes=5)),
        ("send_reminders", timedelta(seconds=10)),
    ]


async def test_a_run_is_logged_only_when_it_did_something(caplog) -> None:
    caplog.set_level(logging.INFO, logger="komunalka.bootstrap.jobs")
    assert await run_job(PeriodicJob("idle", timedelta(seconds=1), nothing)) == Report()
    assert caplog.records == []
    await run_job(PeriodicJob("busy", timedelta(seconds=1), one_sent))
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage() == "job busy: Report(sent=1, failed=0)"


def test_a_report_reads_in_one_line_and_intervals_are_whole_seconds() -> None:
    assert describe(Report(sent=2)) == "sent=2, failed=0"
    assert interval_seconds(timedelta(seconds=0.2)) == 1
    assert interval_seconds(timedelta(minutes=5)) == 300
