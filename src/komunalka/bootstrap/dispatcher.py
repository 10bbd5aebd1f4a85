"""The web service's background sender of the outbox: a round every few seconds, started and
stopped with the app (the embedded default runs it in the same process)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from komunalka.application.notifications.deliver_outbox import DeliverOutbox

log = logging.getLogger(__name__)


class OutboxDispatcher:
    def __init__(self, deliver: DeliverOutbox, interval: float) -> None:
        self._deliver = deliver
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._deliver()
            except Exception:  # the database may be away for a moment: try again next round
                log.warning("outbox round failed", exc_info=True)
            await asyncio.sleep(self._interval)
