"""Send throttles: how many messages may be under way on a key, and the pauses a 429 imposes.

A message counts against its key from the moment it is let through until one window (1 s for
Telegram) after its answer came back. Counted so, no window of that length *at the remote* ever
holds more than the limit, however late a request arrives: the remote received it between its
start and its answer. A message whose answer never comes counts until `hold` (longer than any
client timeout) has passed, so a crashed process frees its slots.

Why not the `limits` library (5.8.0; its async Redis storage does run on redis-py 8.1): its moving
window stamps a message when it is let through, before the round trip. Tried here first, a burst
whose requests reached the fake Bot API 30 ms late (connections being opened) overlapped the next
second's burst there: 21 messages in one second at a limit of 20, answered 429. Counting until the
answer needs a release that `limits` does not have, so this module keeps two small sorted sets per
key in a Lua script (atomic; Redis's own clock, shared by every process): ``pending`` (let through,
no answer yet; score: when to give up on it) and ``done`` (answered; score: when).

Pauses are the one shared "paused until" moment per key that every sender honours after a 429
(Telegram blocks bots that ignore `retry_after`): one Redis key per throttle key whose time to live
is the pause (``PEXPIRE ... GT`` only ever lengthens it), or a dict of deadlines in memory.

Keys pick their rate by the part before the first colon (``telegram:<digest>`` → the bot's rate,
``telegram-chat:<chat id>`` → one a second); a key of no configured kind is only paused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

NAMESPACE = "komunalka-throttle"
HOLD = 60.0  # seconds a message without an answer counts: above every sender's timeout
POLL = 0.05  # when only unanswered messages fill a window: look again this soon

# KEYS: pending, done. ARGV: limit, window (ms), hold (ms). Returns 0 when let through, else the
# milliseconds to wait before trying again.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window, hold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2])
if used < limit then
  local id = redis.call('INCR', KEYS[1] .. ':id')
  redis.call('PEXPIRE', KEYS[1] .. ':id', hold)
  redis.call('ZADD', KEYS[1], now + hold, id)
  redis.call('PEXPIRE', KEYS[1], hold)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if oldest[2] then return math.max(tonumber(oldest[2]) + window - now, 1) end
return -1
"""
# KEYS: pending, done. ARGV: window (ms). One unanswered message of the key has been answered.
RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local popped = redis.call('ZPOPMIN', KEYS[1])
if popped[1] then
  redis.call('ZADD', KEYS[2], now, popped[1])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[1]))
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Rate:
    """`amount` messages per `seconds`."""

    amount: int
    seconds: float = 1.0


def default_rates(telegram: int = 25, sms: int = 10, email: int = 10) -> dict[str, Rate]:
    """Telegram: about 30/s per bot (kept at 25) and 1/s per chat; Viber: 500 calls per 10 s;
    an SMS gateway and an SMTP relay: what their contracts say (`sms`, `email` a second)."""
    return {
        "telegram": Rate(telegram),
        "telegram-chat": Rate(1),
        "viber": Rate(500, 10),
        "sms": Rate(sms),
        "email": Rate(email),
    }


@dataclass
class _Window:
    pending: list[float] = field(default_factory=list)  # when to give up on each
    done: list[float] = field(default_factory=list)  # when each was answered


class InMemorySendThrottle:
    """The throttle of one process (the embedded default): windows and pauses in its memory."""

    def __init__(self, rates: Mapping[str, Rate] | None = None, hold: float = HOLD) -> None:
        self._rates = dict(rates or default_rates())
        self._hold = hold
        self._windows: dict[str, _Window] = {}
        self._until: dict[str, float] = {}

    async def acquire(self, key: str) -> None:
        rate = self._rates.get(key.partition(":")[0])
        while True:
            now = time.monotonic()
            if (paused := self._until.get(key, 0.0) - now) > 0:
                await asyncio.sleep(paused)
                continue
            if rate is None:
                return
            window = self._windows.setdefault(key, _Window())
            window.pending = [t for t in window.pending if t > now]
            window.done = [t for t in window.done if t > now - rate.seconds]
            if len(window.pending) + len(window.done) < rate.amount:
                window.pending.append(now + self._hold)
                return
            wait = min(window.done) + rate.seconds - now if window.done else POLL
            await asyncio.sleep(max(wait, 0.001))

    async def release(self, key: str) -> None:
        window = self._windows.get(key)
        if window and window.pending:
            window.pending.remove(min(window.pending))
            window.done.append(time.monotonic())

    async def pause(self, key: str, seconds: float) -> None:
        until = time.monotonic() + seconds
        self._until[key] = max(self._until.get(key, 0.0), until)


class RedisSendThrottle:
    """The throttle every process shares: windows and pauses live in Redis."""

    def __init__(
        self, redis: Redis, rates: Mapping[str, Rate] | None = None, hold: float = HOLD
    ) -> None:
        self._redis = redis
        self._rates = dict(rates or default_rates())
        self._hold_ms = int(hold * 1000)
        self._acquire = redis.register_script(ACQUIRE)
        self._release = redis.register_script(RELEASE)

    async def acquire(self, key: str) -> None:
        rate = self._rates.get(key.partition(":")[0])
        while True:
            paused = await self._redis.pttl(_key(key, "paused"))
            if paused > 0:
                await asyncio.sleep(paused / 1000)
                continue
            if rate is None:
                return
            keys = [_key(key, "pending"), _key(key, "done")]
            window_ms = int(rate.seconds * 1000)
            wait = int(await self._acquire(keys=keys, args=[rate.amount, window_ms, self._hold_ms]))
            if wait == 0:
                return
            await asyncio.sleep(wait / 1000 if wait > 0 else POLL)

    async def release(self, key: str) -> None:
        rate = self._rates.get(key.partition(":")[0])
        if rate is not None:
            keys = [_key(key, "pending"), _key(key, "done")]
            await self._release(keys=keys, args=[int(rate.seconds * 1000) + 1000])

    async def pause(self, key: str, seconds: float) -> None:
        ms = max(int(seconds * 1000), 1)
        name = _key(key, "paused")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(name, 1, px=ms, nx=True)
            pipe.pexpire(name, ms, gt=True)
            await pipe.execute()


def _key(key: str, part: str) -> str:
    # One hash tag per throttle key keeps its sets on one node of a Redis cluster.
    return f"{NAMESPACE}:{{{key}}}:{part}"
