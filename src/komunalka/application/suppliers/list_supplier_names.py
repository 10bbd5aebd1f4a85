"""ListSupplierNames: every supplier, by name, for a resident to pick one when linking an account.

Who may call it: anyone (the names are public). Read-only.
"""

from __future__ import annotations

from komunalka.application.ports import UnitOfWorkFactory
from komunalka.domain.meters import Supplier


class ListSupplierNames:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self) -> list[Supplier]:
        async with self._uow() as uow:
            return sorted(await uow.suppliers.all(), key=lambda s: s.name)
