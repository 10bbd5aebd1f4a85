"""The job queue (taskiq, ADR 0013): a task per periodic job, the schedule that kicks them, and
the loop that runs them until asked to stop.

Embedded (no KOMUNALKA_REDIS_URL, or `serve` running its jobs in-process): taskiq's in-memory
broker, a kick runs at once in this process. With Redis: a stream (RedisStreamBroker) that any
number of `komunalka worker` processes read in one consumer group; a task is acknowledged after
it ran, so one whose worker was killed is delivered to another after `REDELIVER_AFTER`.

Every process runs the schedule; of several, the first to claim a job's turn in Redis
(`SET NX PX`, `TurnClaims`) kicks it, the others skip that turn. The jobs themselves are safe to
run at once anyway (the database holds "exactly once"): this only saves needless kicks.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from taskiq import (
    AcknowledgeType,
    AsyncBroker,
    InMemoryBroker,
    ScheduledTask,
    ScheduleSource,
    TaskiqScheduler,
)
from taskiq.api import run_scheduler_task
from taskiq.exceptions import ScheduledTaskCancelledError
from taskiq.receiver import Receiver

from komunalka.bootstrap.jobs import PeriodicJob, run_scheduled
from komunalka.bootstrap.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

# A task not acknowledged this long (its worker was killed mid-run) goes to another worker.
REDELIVER_AFTER = timedelta(minutes=5)
# Tasks one worker runs at once.
CONCURRENCY = 10
# The stream keeps about this many entries, run or not (acknowledged entries stay in a stream).
STREAM_LENGTH = 10_000


def task_name(job: str) -> str:
    return f"komunalka.{job}"


def interval_seconds(every: timedelta) -> int:
    """The schedule counts in whole seconds, at least one."""
    return max(1, round(every.total_seconds()))


class TurnClaims:
    """One kick per job and turn among all processes that run the schedule: a job due every N
    seconds has turn `now // N`; the first process to `SET NX` the turn's key kicks it."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def claim(self, job: str, every: int, now: float) -> bool:
        key = f"{self._prefix}:turn:{job}:{int(now // every)}"
        # the key outlives its turn (which ends at most `every` seconds from now), then goes
        return bool(await self._redis.set(key, b"1", nx=True, px=every * 2000))


class JobSchedule(ScheduleSource):
    """The periodic jobs as taskiq's schedules: one per job, every `job.every`."""

    def __init__(self, jobs: list[PeriodicJob], turns: TurnClaims | None) -> None:
        self._turns = turns
        self._schedules = [
            ScheduledTask(
                task_name=task_name(job.name),
                labels={},
                args=[],
                kwargs={},
                schedule_id=job.name,
                interval=interval_seconds(job.every),
            )
            for job in jobs
        ]

    async def get_schedules(self) -> list[ScheduledTask]:
        return list(self._schedules)

    async def pre_send(self, task: ScheduledTask) -> None:
        if self._turns is None:
            return
        every = task.interval if isinstance(task.interval, int) else 1
        if not await self._turns.claim(task.schedule_id, every, time.time()):
            raise ScheduledTaskCancelledError  # another process kicks this turn


@dataclass(frozen=True, slots=True)
class JobQueue:
    broker: AsyncBroker
    scheduler: TaskiqScheduler
    redis: Redis | None

    @property
    def in_process(self) -> bool:
        return isinstance(self.broker, InMemoryBroker)

    async def kick(self, job: str) -> None:
        """Queue one run of the job now (the broker must be started)."""
        task = self.broker.find_task(task_name(job))
        if task is None:
            raise LookupError(job)
        await task.kiq()

    async def run_until(self, stop: asyncio.Event) -> None:
        """Runs the schedule and, with Redis, the tasks queued by any process, until `stop` is
        set; then kicks no more, finishes the tasks in hand and lets go of the broker."""
        await self.broker.startup()
        schedule = asyncio.create_task(run_scheduler_task(self.scheduler), name="job-schedule")
        try:
            if self.in_process:
                await stop.wait()
            else:
                await self._receive(stop)
        finally:
            schedule.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await schedule
            await self.close()

    async def _receive(self, stop: asyncio.Event) -> None:
        self.broker.is_worker_process = True
        receiver = Receiver(
            self.broker,
            run_startup=False,
            max_async_tasks=CONCURRENCY,
            ack_type=AcknowledgeType.WHEN_EXECUTED,  # a killed worker's task is delivered again
        )
        await receiver.listen(stop)

    async def close(self) -> None:
        if isinstance(self.broker, InMemoryBroker):
            await self.broker.wait_all()  # the runs in hand
        await self.broker.shutdown()
        if self.redis is not None:
            await self.redis.aclose()


def job_queue(settings: Settings, jobs: list[PeriodicJob], *, in_process: bool) -> JobQueue:
    """The queue of these jobs: in this process (taskiq's in-memory broker) when asked or when
    no Redis is set, else Redis streams. With Redis, schedule turns are shared either way."""
    redis = None
    broker: AsyncBroker
    if settings.redis_url:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url)
    if in_process or not settings.redis_url:
        broker = InMemoryBroker(max_async_tasks=CONCURRENCY)
    else:
        from taskiq_redis import RedisStreamBroker

        broker = RedisStreamBroker(
            settings.redis_url,
            queue_name=f"{settings.jobs_queue}:jobs",
            consumer_group_name=f"{settings.jobs_queue}:workers",
            consumer_id="0",  # a group made after a kick still gets it
            idle_timeout=int(REDELIVER_AFTER.total_seconds() * 1000),
            unacknowledged_lock_timeout=30,
            maxlen=STREAM_LENGTH,
        )
    for job in jobs:
        broker.register_task(_task(job), task_name=task_name(job.name))
    turns = TurnClaims(redis, settings.jobs_queue) if redis is not None else None
    return JobQueue(broker, TaskiqScheduler(broker, [JobSchedule(jobs, turns)]), redis)


@contextlib.asynccontextmanager
async def jobs_in_process(settings: Settings, jobs: list[PeriodicJob]) -> AsyncIterator[None]:
    """The periodic jobs run in this process (the web service's lifespan) while inside."""
    queue = job_queue(settings, jobs, in_process=True)
    stop = asyncio.Event()
    running = asyncio.create_task(queue.run_until(stop), name="periodic-jobs")
    try:
        yield
    finally:
        stop.set()
        await running


def _task(job: PeriodicJob) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await run_scheduled(job)

    run.__name__ = job.name
    return run
