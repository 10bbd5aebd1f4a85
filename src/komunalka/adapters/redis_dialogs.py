"""Dialog state in Redis, for production: many app processes share it, and an idle
conversation expires on its own."""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.asyncio import Redis

log = logging.getLogger(__name__)
TTL_SECONDS = 30 * 24 * 3600  # a month without a word: start over
# Telegram gives up redelivering an update after a day; a record of one is kept twice as long.
DELIVERY_TTL_SECONDS = 2 * 24 * 3600


class RedisDialogStateStore:
    def __init__(self, redis: Redis, prefix: str = "komunalka:dialog") -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, channel: str, external_id: str) -> str:
        return f"{self._prefix}:{channel}:{external_id}"

    async def load(self, channel: str, external_id: str) -> dict[str, Any] | None:
        return _state(await self._redis.get(self._key(channel, external_id)))

    async def save(self, channel: str, external_id: str, state: dict[str, Any]) -> None:
        text = json.dumps(state, ensure_ascii=False)
        await self._redis.set(self._key(channel, external_id), text, ex=TTL_SECONDS)

    async def receive(
        self, channel: str, external_id: str, delivery_id: str
    ) -> tuple[bool, dict[str, Any] | None]:
        # SET NX and GET in one round trip (MULTI/EXEC): only one caller ever sets the key.
        seen = f"{self._prefix}:delivery:{channel}:{delivery_id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(seen, 1, nx=True, ex=DELIVERY_TTL_SECONDS)
            pipe.get(self._key(channel, external_id))
            first, found = await pipe.execute()
        return (True, _state(found)) if first else (False, None)


def _state(found: bytes | str | None) -> dict[str, Any] | None:
    """The stored state; a value that is not a JSON object (a corrupt key) is no state, so the
    conversation starts afresh instead of failing on every turn."""
    if found is None:
        return None
    try:
        state = json.loads(found)
    except ValueError:  # UnicodeDecodeError is one
        state = None
    if not isinstance(state, dict):
        log.warning("dialog state: not a JSON object, ignored")
        return None
    return state
