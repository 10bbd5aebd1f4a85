"""The process's Prometheus metrics (docs/adr/0029-observability-and-deployment.md).

One registry per process, made on first use (`metrics()`), no prometheus-client default
registry: each `serve` or `worker` process answers for itself on its own endpoint (no
multiprocess mode). What is counted as it happens: requests by route template, method and
status, with a latency histogram; readings accepted by channel; each periodic job's runs and
the outcomes its report counts (reminders sent, failed, ...; outbox and webhook deliveries).
What is measured when scraped: the database pool, the queues' depth and lag, imports under way.
"""

from __future__ import annotations

import dataclasses
import functools
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.application.readings.submit_readings import (
    SubmitReadings,
    SubmitReadingsRequest,
    SubmitReadingsResult,
)

# Seconds: a webhook answers in milliseconds, an upload's page may take seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The metrics of one process, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "komunalka_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "komunalka_http_request_duration_seconds",
            "Seconds from a request's arrival to the end of its answer, by route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.readings = Counter(
            "komunalka_readings_accepted",
            "Readings accepted (new or corrections; a replayed submission is not counted), "
            "by the channel they came by.",
            ["channel"],
            registry=r,
        )
        self.job_runs = Counter(
            "komunalka_job_runs",
            "Runs of the periodic jobs, by job and result (ok, failed).",
            ["job", "result"],
            registry=r,
        )
        self.job_seconds = Histogram(
            "komunalka_job_duration_seconds",
            "Seconds a periodic job's run took.",
            ["job"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.job_outcomes = Counter(
            "komunalka_job_outcomes",
            "What the periodic jobs' runs reported, by job and outcome: send_reminders' sent, "
            "failed, ...; deliver_outbox's and deliver_webhooks' deliveries; clean_up's rows.",
            ["job", "outcome"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "komunalka_queue_depth",
            "Items waiting in a queue, measured when scraped: outbox, reminders (due), "
            "supplier_webhooks (due), jobs_stream and jobs_pending (Redis).",
            ["queue"],
            registry=r,
        )
        self.queue_lag = Gauge(
            "komunalka_queue_lag_seconds",
            "How long the oldest due item of a queue has waited, measured when scraped.",
            ["queue"],
            registry=r,
        )
        self.imports = Gauge(
            "komunalka_imports_running",
            "Registry imports under way (uploads in the portal, imports merging rows).",
            ["kind"],
            registry=r,
        )
        self.import_rows = Gauge(
            "komunalka_import_rows",
            "Rows read so far by the uploads under way, and rows staged by the imports under way.",
            ["kind"],
            registry=r,
        )
        self.pool = PoolCollector()
        r.register(self.pool)

    def count_job(self, job: str, report: object, seconds: float, *, failed: bool) -> None:
        self.job_runs.labels(job, "failed" if failed else "ok").inc()
        self.job_seconds.labels(job).observe(seconds)
        for outcome, value in _report_counts(report):
            self.job_outcomes.labels(job, outcome).inc(value)


@functools.cache
def metrics() -> Metrics:
    """This process's metrics, made on first use."""
    return Metrics()


def _report_counts(report: object) -> Iterator[tuple[str, int]]:
    """The integer fields of a dataclass report that are above zero."""
    if not dataclasses.is_dataclass(report) or isinstance(report, type):
        return
    for f in dataclasses.fields(report):
        value = getattr(report, f.name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            yield f.name, value


class PoolCollector(Collector):
    """The database pool of each engine watched (normally one), read when scraped."""

    def __init__(self) -> None:
        # weakly: an engine disposed of and dropped (a test's, an app's built again) is not
        # kept alive by the process's registry, with its pool and statement caches
        self._engines: weakref.WeakSet[AsyncEngine] = weakref.WeakSet()

    def watch(self, engine: AsyncEngine) -> None:
        self._engines.add(engine)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        size = GaugeMetricFamily(
            "komunalka_db_pool_size", "Connections the pool keeps (PostgreSQL).", labels=["db"]
        )
        out = GaugeMetricFamily(
            "komunalka_db_pool_checked_out",
            "Connections in use by requests and jobs now.",
            labels=["db"],
        )
        for engine in list(self._engines):
            pool: Any = engine.sync_engine.pool
            db = engine.dialect.name
            if hasattr(pool, "size") and hasattr(pool, "checkedout"):
                size.add_metric([db], pool.size())
                out.add_metric([db], pool.checkedout())
        yield size
        yield out


class CountedSubmitReadings(SubmitReadings):
    """SubmitReadings counting what it accepted, by channel: every door (API, pages, bots,
    operators, CSV of suppliers) submits through it. One counter increment a call."""

    async def __call__(self, request: SubmitReadingsRequest) -> SubmitReadingsResult:
        result = await super().__call__(request)
        if result.readings and not result.replayed:
            channel = request.actor.channel
            name = getattr(channel, "value", channel)
            metrics().readings.labels(str(name)).inc(len(result.readings))
        return result
