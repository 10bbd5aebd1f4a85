"""Real worker processes sending reminders through the fake Telegram server: two at once, one
killed with SIGKILL in the middle of its batch and another started after it. No resident is
reminded twice; the reminders whose fate nobody knows are counted as unknown, never resent."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.db.tables import reminders
from komunalka.application.notifications.manage_reminders import RuleChange
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.reminders import QuietHours, RuleKind
from tests.contracts.test_reminder_delivery import RESIDENTS, _residents
from tests.fakes import FakeClock
from tests.servers.fake_telegram import FakeTelegram

SRC = Path(__file__).resolve().parents[2] / "src"
LEASE = 3  # seconds


def _zone_away_from_midnight() -> str:
    """A time zone where the last ten minutes did not cross midnight (the plan's span must be a
    part of one day that is already past)."""
    now = datetime.now(UTC)
    for zone in ("Europe/Kyiv", "Asia/Tokyo", "America/New_York"):
        local = now.astimezone(ZoneInfo(zone))
        if time(0, 15) < local.time() < time(23, 45):
            return zone
    raise AssertionError("no zone away from midnight")  # pragma: no cover


async def _plan_in_the_past(storage: SqlStorage) -> None:
    """Every reminder's moment a few minutes ago: planned on a clock ten minutes back, over a
    quiet-hours span that ended nine minutes ago."""
    zone = _zone_away_from_midnight()
    then = datetime.now(UTC) - timedelta(minutes=10)
    closes = (then + timedelta(minutes=1)).astimezone(ZoneInfo(zone))
    quiet = QuietHours(time(0), closes.time().replace(microsecond=0), zone)
    wiring = Wiring.wire(storage, FakeClock(then), quiet=quiet)
    for kind in RuleKind:  # only the window's opening: one reminder each
        if kind is not RuleKind.OPENS:
            await wiring.change_reminder_rule(None, "kte", RuleChange(kind, enabled=False))
    assert (await wiring.plan_reminders()).planned == RESIDENTS


async def _worker(database_url: str, telegram: FakeTelegram) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "KOMUNALKA_DATABASE_URL": database_url,
        "KOMUNALKA_TELEGRAM_TOKEN": telegram.token,
        "KOMUNALKA_TELEGRAM_API_URL": telegram.url,
        "KOMUNALKA_QUIET_HOURS": "00:00-23:59",
        "KOMUNALKA_SEND_LEASE": str(LEASE),
        "KOMUNALKA_SEND_BATCH": "20",
    }
    for name in ("KOMUNALKA_NOW", "KOMUNALKA_REDIS_URL"):
        env.pop(name, None)
    command = [sys.executable, "-m", "komunalka", "worker", "--once"]
    return await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )


async def _until_async(check: Any, seconds: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "gave up waiting"
        await asyncio.sleep(0.02)


async def _sending_by(storage: SqlStorage, pid: int) -> bool:
    """Whether the worker with this process id has attempts under way (its name starts with
    its pid, DeliverOutbox's `worker_name`)."""
    async with storage.engine.connect() as conn:
        query = select(func.count()).where(
            reminders.c.state == "sending", reminders.c.claimed_by.like(f"pid{pid}-%")
        )
        return bool((await conn.execute(query)).scalar_one())


async def _states(storage: SqlStorage) -> Counter[str]:
    async with storage.engine.connect() as conn:
        rows = await conn.execute(
            select(reminders.c.state, func.count()).group_by(reminders.c.state)
        )
        return Counter({state: n for state, n in rows})


async def test_a_worker_killed_mid_batch_leaves_no_reminder_sent_twice(
    engine: Any, database_url: str
) -> None:
    storage = SqlStorage(engine)
    await _residents(storage, "telegram", window="1..-1")  # open whenever the test runs
    await _plan_in_the_past(storage)
    telegram = FakeTelegram(token=f"{uuid.uuid4().int % 10**9}:T", latency=1.0)
    await telegram.start()
    try:
        killed, survivor = (
            await _worker(database_url, telegram),
            await _worker(database_url, telegram),
        )
        # the one to kill has a chunk in flight: its attempts recorded, sends under way
        await _until_async(lambda: _sending_by(storage, killed.pid))
        await asyncio.sleep(0.3)  # each send takes the fake a second to answer
        killed.send_signal(signal.SIGKILL)
        await killed.wait()
        output = (await survivor.communicate())[0].decode()
        assert survivor.returncode == 0, output
        await asyncio.sleep(LEASE + 0.5)  # the killed worker's lease runs out
        while (states := await _states(storage))["planned"] or states["sending"]:
            again = await _worker(database_url, telegram)
            output = (await again.communicate())[0].decode()
            assert again.returncode == 0, output
    finally:
        await telegram.stop()
    states = await _states(storage)
    delivered = Counter(str(c.params["chat_id"]) for c in telegram.delivered())
    assert max(delivered.values()) == 1  # nobody twice
    assert states["sent"] + states["unknown"] == RESIDENTS, states
    assert 0 < states["unknown"] <= 25, (states, delivered)  # at most the chunk in flight
    assert len(delivered) >= states["sent"]  # the unknown may or may not have gone
