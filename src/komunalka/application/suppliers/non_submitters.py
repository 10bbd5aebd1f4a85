"""ListNonSubmitters: the active meters of a supplier with no accepted reading for a period.

Who may call it: staff of that supplier and administrators (``can_manage_supplier``), the
supplier's pull-API tokens and the service itself (the command line). Read-only, streamed: a
city-wide supplier has hundreds of thousands of them. Every door lists them from here and writes
them with `formats` (CSV, JSON).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from komunalka.application.shared.ports import Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.ports import NonSubmitter, NonSubmitterQuery, Suppliers
from komunalka.application.suppliers.supplier_access import Caller, managed_supplier
from komunalka.domain.periods import BillingPeriod


class ListNonSubmitters:
    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        query: NonSubmitterQuery,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._query = query
        self._clock = clock

    async def __call__(
        self, caller: Caller, code: str | None, period: BillingPeriod
    ) -> AsyncIterator[NonSubmitter]:
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            rows = self._query.non_submitters(supplier.id, period, self._clock.now())
            async for row in rows:
                yield row
