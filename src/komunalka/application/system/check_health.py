"""CheckHealth: whether the service can reach its database. Anyone may call it; read-only."""

from __future__ import annotations

from komunalka.application.shared.transactions import Transactions
from komunalka.application.system.ports import StorageProbe


class CheckHealth:
    def __init__(self, transactions: Transactions, storage: StorageProbe) -> None:
        self._transactions = transactions
        self._storage = storage

    async def __call__(self) -> bool:
        try:
            async with self._transactions():
                await self._storage.ping()
        except Exception:  # any failure to reach storage means "unhealthy", reported, not raised
            return False
        return True
