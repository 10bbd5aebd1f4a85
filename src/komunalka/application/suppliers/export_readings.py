"""ExportReadings: a supplier's accepted readings for a period, as CSV, streamed to a sink.

Who may call it: staff of that supplier, administrators, the system (deliveries). Read-only;
memory stays flat whatever the size: rows go to the sink as the database yields them.
Columns: account, serial, service, register, period, value, submitted_at_utc (``YYYY-MM-DD
HH:MM:SS``), channel, receipt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from komunalka.application.ports import UnitOfWorkFactory
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod

EXPORT_COLUMNS = (
    "account",
    "serial",
    "service",
    "register",
    "period",
    "value",
    "submitted_at_utc",
    "channel",
    "receipt",
)


class ExportReadings:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, supplier_code: str, period: BillingPeriod, sink: Callable[[bytes], Awaitable[None]]
    ) -> None:
        async with self._uow() as uow:
            supplier = await uow.suppliers.by_code(supplier_code)
            if supplier is None:
                raise DomainError.of("supplier.not_found", supplier=supplier_code)
            await uow.queries.export_csv(supplier.id, period, sink)
