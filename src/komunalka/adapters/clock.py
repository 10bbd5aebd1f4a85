"""Clocks: the system's, or one frozen at an instant (demos and tests: KOMUNALKA_NOW)."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("naive datetime")
        self.instant = instant.astimezone(UTC)

    def now(self) -> datetime:
        return self.instant
