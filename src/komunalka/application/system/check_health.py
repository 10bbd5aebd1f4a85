"""CheckHealth: whether the service can reach its database. Anyone may call it; read-only."""

from __future__ import annotations

from komunalka.application.ports import UnitOfWorkFactory


class CheckHealth:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self) -> bool:
        try:
            async with self._uow() as uow:
                await uow.ping()
        except Exception:  # any failure to reach storage means "unhealthy", reported, not raised
            return False
        return True
