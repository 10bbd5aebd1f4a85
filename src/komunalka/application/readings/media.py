"""PublishPicture and FetchPicture: pictures the app serves by an unguessable name, for doors that
send pictures as URLs (Viber). Who may call them: a door. A picture is served for a day, then
forgotten."""

from __future__ import annotations

import secrets
from datetime import timedelta

from komunalka.application.readings.ports import MediaRepository
from komunalka.application.shared.ports import Clock
from komunalka.application.shared.transactions import Transactions

KEEP = timedelta(days=1)
MAX_BYTES = 2_000_000


class PublishPicture:
    def __init__(self, transactions: Transactions, media: MediaRepository, clock: Clock) -> None:
        self._transactions = transactions
        self._media = media
        self._clock = clock

    async def __call__(self, png: bytes) -> str:
        """The picture's name (URL-safe, 256 random bits)."""
        if not png.startswith(b"\x89PNG") or len(png) > MAX_BYTES:
            raise ValueError("not a PNG picture of a sensible size")
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            await self._media.forget_before(now - KEEP)
            await self._media.add(token, png, "image/png", now)
            await tx.commit()
        return token


class FetchPicture:
    def __init__(self, transactions: Transactions, media: MediaRepository, clock: Clock) -> None:
        self._transactions = transactions
        self._media = media
        self._clock = clock

    async def __call__(self, token: str) -> tuple[bytes, str] | None:
        if not 20 <= len(token) <= 43:
            return None
        async with self._transactions():
            return await self._media.get(token, self._clock.now() - KEEP)
