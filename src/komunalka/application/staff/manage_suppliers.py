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
from dataclasses import dataclass

from komunalka.application.ports import Clock, Conflict, SupplierRecord, UnitOfWorkFactory
from komunalka.application.shared.actors import Actor, ActorKind
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
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, staff: StaffMember) -> list[SupplierRecord]:
        _require_admin(staff)
        async with self._uow() as uow:
            return await uow.console.suppliers()

    async def one(self, staff: StaffMember, supplier_id: int) -> SupplierRecord:
        _require_admin(staff)
        async with self._uow() as uow:
            found = await uow.console.supplier(supplier_id)
        if found is None:
            raise DomainError.of("supplier.not_found", supplier=supplier_id)
        return found


class SaveSupplier:
    """Adds a supplier (`supplier_id` None) or changes one."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self, staff: StaffMember, supplier_id: int | None, form: SupplierForm
    ) -> SupplierRecord:
        _require_admin(staff)
        supplier, services = _supplier(supplier_id or 0, form)
        actor = Actor(ActorKind.OPERATOR, staff.id, Channel.WEB)
        now = self._clock.now()
        details: dict[str, object] = {
            "code": supplier.code,
            "name": supplier.name,
            "window": str(supplier.window),
            "timezone": supplier.window.timezone,
            "pattern": supplier.account_pattern,
            "services": list(services),
        }
        async with self._uow(write=True) as uow:
            taken = await uow.suppliers.by_code(supplier.code)
            if taken is not None and taken.id != supplier_id:
                raise _code_taken(supplier.code)
            try:
                if supplier_id is None:
                    new_id = await uow.console.add_supplier(supplier, services)
                    supplier = Supplier(
                        new_id, supplier.code, supplier.name, supplier.window,
                        supplier.account_pattern,
                    )  # fmt: skip
                    action = "suppliers.add"
                else:
                    before = await uow.console.supplier(supplier_id)
                    if before is None:
                        raise DomainError.of("supplier.not_found", supplier=supplier_id)
                    await uow.console.update_supplier(supplier, services)
                    details["before"] = {
                        "code": before.supplier.code,
                        "window": str(before.supplier.window),
                        "timezone": before.supplier.window.timezone,
                        "pattern": before.supplier.account_pattern,
                        "services": list(before.services),
                    }
                    action = "suppliers.update"
            except Conflict as exc:
                raise _code_taken(supplier.code) from exc
            await uow.audit.record(actor, action, f"supplier:{supplier.id}", details, now)
            await uow.commit()
        return SupplierRecord(supplier, services)
