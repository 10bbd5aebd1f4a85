"""Dialog state in Redis, for production: many app processes share it, and an idle
conversation expires on its own."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from redis.asyncio import Redis

from komunalka.application.shared.ports import ACTED_ON, Arrival, Received

log = logging.getLogger(__name__)
TTL_SECONDS = 30 * 24 * 3600  # a month without a word: start over
# Telegram gives up redelivering an update after a day; a record of one is kept twice as long.
DELIVERY_TTL_SECONDS = 2 * 24 * 3600
# How long a turn may run before a redelivery of its update takes it over (ADR 0015).
LEASE_MS = 60_000
# A delivery's record is "run:<lease's end in ms>" while its turn is under way, anything else
# ("done", or the "1" of records made before leases) once it finished. One script, so of
# concurrent callers only one sees a record it may take; the state comes back with the verdict.
_RECEIVE = """
local seen = redis.call('GET', KEYS[1])
local verdict
if not seen then
    verdict = 'first'
elseif string.sub(seen, 1, 4) ~= 'run:' then
    return {'done', false}
elseif tonumber(string.sub(seen, 5)) >= tonumber(ARGV[1]) then
    return {'under_way', false}
else
    verdict = 'taken_over'
end
redis.call('SET', KEYS[1], 'run:' .. ARGV[2], 'EX', ARGV[3])
return {verdict, redis.call('GET', KEYS[2])}
"""


class RedisDialogStateStore:
    def __init__(
        self, redis: Redis, prefix: str = "komunalka:dialog", lease_ms: int = LEASE_MS
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._lease_ms = lease_ms
        self._receive = redis.register_script(_RECEIVE)

    def _key(self, channel: str, external_id: str) -> str:
        return f"{self._prefix}:{channel}:{external_id}"

    def _seen(self, channel: str, delivery_id: str) -> str:
        return f"{self._prefix}:delivery:{channel}:{delivery_id}"

    async def load(self, channel: str, external_id: str) -> dict[str, Any] | None:
        return _state(await self._redis.get(self._key(channel, external_id)))

    async def save(
        self,
        channel: str,
        external_id: str,
        state: dict[str, Any],
        delivery_id: str | None = None,
    ) -> None:
        text = json.dumps(state, ensure_ascii=False)
        key = self._key(channel, external_id)
        if delivery_id is None:
            await self._redis.set(key, text, ex=TTL_SECONDS)
            return
        # the state and the delivery's end in one round trip, applied together (MULTI/EXEC)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, text, ex=TTL_SECONDS)
            pipe.set(self._seen(channel, delivery_id), "done", ex=DELIVERY_TTL_SECONDS)
            await pipe.execute()

    async def receive(self, channel: str, external_id: str, delivery_id: str) -> Received:
        """Identities are in the database, not here: the unreachable mark is not known (None)."""
        now = int(time.time() * 1000)
        keys = [self._seen(channel, delivery_id), self._key(channel, external_id)]
        args = [now, now + self._lease_ms, DELIVERY_TTL_SECONDS]
        verdict, found = await self._receive(keys=keys, args=args)
        arrival = Arrival(verdict.decode() if isinstance(verdict, bytes) else verdict)
        return Received(arrival, _state(found) if arrival in ACTED_ON else None)


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
