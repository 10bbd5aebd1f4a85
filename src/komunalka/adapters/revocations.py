"""The count of revoked bearer tokens (`TokenRevocations`): in Redis for every process, or in
this process's memory (the embedded single process).

Why a count read on every request rather than a message to each process (pub/sub): a process
whose subscription is down when a token is revoked would miss the message and keep trusting the
token; a count it reads cannot be missed. It costs one GET per API request (about 0.1 ms against
a local Redis, against the 0.5-1 ms database round trip the cache saves: docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

KEY = "komunalka:token-revocations"

log = logging.getLogger(__name__)


class InProcessRevocations:
    """One process: revocations through this process are seen at once; another process's
    (the command line's) are not, until the cached entry's time runs out."""

    def __init__(self) -> None:
        self.count = 0

    async def current(self) -> int | None:
        return self.count

    async def bump(self) -> None:
        self.count += 1


class RedisRevocations:
    """Every process that shares the Redis server (and `key`) sees a revocation at once. When
    Redis cannot be read, `current` is None: the callers ask the database instead of trusting
    their cache."""

    def __init__(self, redis: Redis, key: str = KEY) -> None:
        self._redis = redis
        self._key = key

    async def current(self) -> int | None:
        try:
            value = await self._redis.get(self._key)
        except Exception:
            log.warning("token revocations: Redis unreadable, tokens are looked up every time")
            return None
        return int(value) if value is not None else 0

    async def bump(self) -> None:
        await self._redis.incr(self._key)
