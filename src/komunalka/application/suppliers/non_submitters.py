"""ListNonSubmitters: the active meters of a supplier with no accepted reading for a period.

Who may call it: staff of that supplier, operators, the system (reminders). Read-only, streamed:
a city-wide supplier has hundreds of thousands of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from komunalka.application.ports import NonSubmitter, UnitOfWorkFactory
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod


class ListNonSubmitters:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, supplier_code: str, period: BillingPeriod
    ) -> AsyncIterator[NonSubmitter]:
        async with self._uow() as uow:
            supplier = await uow.suppliers.by_code(supplier_code)
            if supplier is None:
                raise DomainError.of("supplier.not_found", supplier=supplier_code)
            async for row in uow.queries.non_submitters(supplier.id, period):
                yield row
