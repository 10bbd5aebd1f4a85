"""ListSuppliers, SaveSupplier: the suppliers an administrator keeps: name, code, the format of
their account numbers, their services, their submission window and its time zone.

Who may call them: an active administrator (the operator console). Guarantees: a supplier is
saved only whole and valid (the window rule parses, the time zone exists, the number pattern
compiles, the code is unique, the services are known); nothing changes otherwise; every change is
audited with what it was before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.ports import AuditLog, Clock, Conflict, SupplierRepository
from komunalka.application.shared.transactions import Transactions
from komunalka.application.staff.ports import SupplierCatalog, SupplierRecord
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.meters import Supplier
from komunalka.domain.services import Channel, Service
from komunalka.domain.staff import StaffMember, StaffRole
from komunalka.domain.windows import WindowRule

_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{1,39}")


def _require_admin(staff: StaffMember) -> None:
    if not staff.active or staff.role is not StaffRole.ADMINISTRATOR:
        raise DomainError.of("staff.forbidden")


@dataclass(frozen=True, slots=True)
class SupplierForm:
    code: str
    name: str
    window_rule: str
    timezone: str
    account_pattern: str
    services: Sequence[str]


def _supplier(supplier_id: int, form: SupplierForm) -> tuple[Supplier, tuple[str, ...]]:
    problems: list[Violation] = []
    code = form.code.strip().lower()
    if not _CODE.fullmatch(code):
        problems.append(Violation("operator.supplier_bad_code"))
    name = " ".join(form.name.split())
    if not name or len(name) > 200:
        problems.append(Violation("operator.supplier_name_required"))
    pattern = form.account_pattern.strip()
    try:
        if not pattern or len(pattern) > 200:
            raise re.error("empty or long")
        re.compile(pattern)
    except re.error:
        problems.append(Violation("operator.supplier_bad_pattern", {"pattern": pattern}))
    known = {s.value for s in Service}
    services = tuple(dict.fromkeys(s for s in form.services if s))
    if not services or any(s not in known for s in services):
        problems.append(Violation("operator.supplier_services_required"))
    window = None
    try:
        window = WindowRule.parse(form.window_rule.strip(), form.timezone.strip())
    except DomainError as exc:
        problems += exc.violations
    if problems or window is None:
        raise DomainError(problems)
    return Supplier(supplier_id, code, name, window, pattern), services


def _code_taken(code: str) -> DomainError:
    return DomainError([Violation("operator.supplier_code_taken", {"code": code})])


class ListSuppliers:
    def __init__(self, transactions: Transactions, catalog: SupplierCatalog) -> None:
        self._transactions = transactions
        self._catalog = catalog

    async def __call__(self, staff: StaffMember) -> list[SupplierRecord]:
        _require_admin(staff)
        async with self._transactions():
            return await self._catalog.suppliers()

    async def one(self, staff: StaffMember, supplier_id: int) -> SupplierRecord:
        _require_admin(staff)
        async with self._transactions():
            found = await self._catalog.supplier(supplier_id)
        if found is None:
            raise DomainError.of("supplier.not_found", supplier=supplier_id)
        return found


class SaveSupplier:
    """Adds a supplier (`supplier_id` None) or changes one."""

    def __init__(
        self,
        transactions: Transactions,
        suppliers: SupplierRepository,
        catalog: SupplierCatalog,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._catalog = catalog
        self._audit = audit
        self._clock = clock

    async def __call__(
        self, staff: StaffMember, supplier_id: int | None, form: SupplierForm
    ) -> SupplierRecord:
        _require_admin(staff)
        supplier, services = _supplier(supplier_id or 0, form)
        actor = Actor(ActorKind.OPERATOR, staff.id, Channel.WEB)
        now = self._clock.now()
        details = _described(supplier, services)
        async with self._transactions(write=True) as tx:
            taken = await self._suppliers.by_code(supplier.code)
            if taken is not None and taken.id != supplier_id:
                raise _code_taken(supplier.code)
            try:
                if supplier_id is None:
                    new_id = await self._catalog.add_supplier(supplier, services)
                    supplier = replace(supplier, id=new_id)
                    action = "suppliers.add"
                else:
                    details["before"] = await self._update(supplier, services)
                    action = "suppliers.update"
            except Conflict as exc:
                raise _code_taken(supplier.code) from exc
            await self._audit.record(actor, action, f"supplier:{supplier.id}", details, now)
            await tx.commit()
        return SupplierRecord(supplier, services)

    async def _update(self, supplier: Supplier, services: tuple[str, ...]) -> dict[str, object]:
        """Saves the change; what the supplier was before it."""
        before = await self._catalog.supplier(supplier.id)
        if before is None:
            raise DomainError.of("supplier.not_found", supplier=supplier.id)
        await self._catalog.update_supplier(supplier, services)
        described = _described(before.supplier, before.services)
        del described["name"]
        return described


def _described(supplier: Supplier, services: tuple[str, ...]) -> dict[str, object]:
    return {
        "code": supplier.code,
        "name": supplier.name,
        "window": str(supplier.window),
        "timezone": supplier.window.timezone,
        "pattern": supplier.account_pattern,
        "services": list(services),
    }
