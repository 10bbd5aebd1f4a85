"""SetPhotoKeeping: how long a supplier keeps the meter photos residents send with readings
(ADR 0027: kept as evidence of a reading, then deleted by the hourly `forget_expired_photos`).

Who may call it: staff of that supplier and administrators (``managed_supplier``), from the
portal's settings. Guarantees: the days are a whole number from 1 to ``MOST_DAYS`` (ten years),
else ``photo.bad_retention`` and nothing changed; the change is audited with the old and new
number (``supplier_photos.set``). Photos older than the new term go at the job's next run.
"""

from __future__ import annotations

from komunalka.application.shared.ports import AuditLog, Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.ports import Suppliers, SupplierSettingsRepository
from komunalka.application.suppliers.supplier_access import Caller, actor_of, managed_supplier
from komunalka.domain.errors import DomainError

MOST_DAYS = 3650


def photo_days(text: str) -> int:
    """The days typed, checked (``photo.bad_retention`` otherwise)."""
    typed = text.strip()
    if not (typed.isascii() and typed.isdecimal()) or not 1 <= int(typed) <= MOST_DAYS:
        raise DomainError.of("photo.bad_retention", most=MOST_DAYS)
    return int(typed)


class SetPhotoKeeping:
    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        settings: SupplierSettingsRepository,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._settings = settings
        self._audit = audit
        self._clock = clock

    async def __call__(self, caller: Caller, code: str | None, days: str) -> int:
        """The days now kept."""
        wanted = photo_days(days)
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            supplier = await managed_supplier(self._suppliers, caller, code)
            old = await self._settings.photo_days_of(supplier.id)
            await self._settings.set_photo_days(supplier.id, wanted)
            details = {"days": {"from": old, "to": wanted}}
            subject = f"supplier:{supplier.id}"
            await self._audit.record(actor_of(caller), "supplier_photos.set", subject, details, now)
            await tx.commit()
        return wanted
