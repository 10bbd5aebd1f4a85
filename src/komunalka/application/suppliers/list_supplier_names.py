"""ListSupplierNames: every supplier, by name, for a resident to pick one when linking an account.

Who may call it: anyone (the names are public). Read-only.
"""

from __future__ import annotations

from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.ports import Suppliers
from komunalka.domain.meters import Supplier


class ListSupplierNames:
    def __init__(self, transactions: Transactions, suppliers: Suppliers) -> None:
        self._transactions = transactions
        self._suppliers = suppliers

    async def __call__(self) -> list[Supplier]:
        async with self._transactions():
            return sorted(await self._suppliers.all(), key=lambda s: s.name)
