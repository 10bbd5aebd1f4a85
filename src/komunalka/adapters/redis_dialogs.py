"""Dialog state in Redis, for production: many app processes share it, and an idle
conversation expires on its own."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

TTL_SECONDS = 30 * 24 * 3600  # a month without a word: start over


class RedisDialogStateStore:
    def __init__(self, redis: Redis, prefix: str = "komunalka:dialog") -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, channel: str, external_id: str) -> str:
        return f"{self._prefix}:{channel}:{external_id}"

    async def load(self, channel: str, external_id: str) -> dict[str, Any] | None:
        found = await self._redis.get(self._key(channel, external_id))
        if found is None:
            return None
        state: dict[str, Any] = json.loads(found)
        return state

    async def save(self, channel: str, external_id: str, state: dict[str, Any]) -> None:
        text = json.dumps(state, ensure_ascii=False)
        await self._redis.set(self._key(channel, external_id), text, ex=TTL_SECONDS)
