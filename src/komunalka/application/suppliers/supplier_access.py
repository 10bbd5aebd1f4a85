"""Whose supplier a request may touch: a staff member's (supplier staff: their own only; an
administrator: any, picked by code) or a pull-API token's.

Who may call it: the supplier portal's use cases, before anything else. Guarantees: a supplier
the caller may not manage answers exactly like an unknown one (``supplier.not_found``), so
nobody learns of another supplier's data, not even that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.ports import Suppliers
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import Supplier
from komunalka.domain.services import Channel
from komunalka.domain.staff import StaffMember, StaffRole


@dataclass(frozen=True, slots=True)
class SupplierKey:
    """A supplier proven by its pull-API token (see AuthenticateSupplier)."""

    supplier_id: int


@dataclass(frozen=True, slots=True)
class ServiceCaller:
    """The service itself (the command line): acts for any supplier, named by its code."""

    actor: Actor


Caller = StaffMember | SupplierKey | ServiceCaller


def actor_of(caller: Caller) -> Actor:
    if isinstance(caller, ServiceCaller):
        return caller.actor
    if isinstance(caller, SupplierKey):
        return Actor(ActorKind.SUPPLIER, caller.supplier_id, Channel.API)
    kind = ActorKind.SUPPLIER if caller.role is StaffRole.SUPPLIER else ActorKind.OPERATOR
    return Actor(kind, caller.id, Channel.WEB)


async def managed_supplier(suppliers: Suppliers, caller: Caller, code: str | None) -> Supplier:
    """The supplier the caller acts for: `code` when given (and allowed), else their own (an
    administrator without a code gets the first supplier; the service must name one). Runs in
    the caller's transaction."""
    wanted = (code or "").strip() or None
    supplier: Supplier | None
    if isinstance(caller, ServiceCaller):
        supplier = await suppliers.by_code(wanted) if wanted is not None else None
        allowed = True
    elif isinstance(caller, SupplierKey):
        supplier = await suppliers.get(caller.supplier_id)
        allowed = supplier is not None and wanted in (None, supplier.code)
    else:
        supplier = await _staff_supplier(suppliers, caller, wanted)
        allowed = supplier is not None and caller.can_manage_supplier(supplier.id)
    if supplier is None or not allowed:
        raise DomainError.of("supplier.not_found", supplier=wanted or "")
    return supplier


async def _staff_supplier(
    suppliers: Suppliers, caller: StaffMember, wanted: str | None
) -> Supplier | None:
    if wanted is not None:
        return await suppliers.by_code(wanted)
    if caller.supplier_id is not None:
        return await suppliers.get(caller.supplier_id)
    found = await suppliers.all() if caller.role is StaffRole.ADMINISTRATOR else []
    return found[0] if found else None


def may_manage(caller: Caller, supplier: Supplier) -> bool:
    """Whether the caller may act for this supplier (the checks of `managed_supplier`, for a
    supplier found another way)."""
    if isinstance(caller, StaffMember):
        return caller.can_manage_supplier(supplier.id)
    if isinstance(caller, SupplierKey):
        return caller.supplier_id == supplier.id
    return True


@dataclass(frozen=True, slots=True)
class SupplierChoice:
    supplier: Supplier
    # The suppliers the caller may switch between (an administrator: all; others: their own).
    choices: tuple[Supplier, ...]


class OpenSupplier:
    """The supplier a portal page is about, and the ones its viewer may pick. Read-only."""

    def __init__(self, transactions: Transactions, suppliers: Suppliers) -> None:
        self._transactions = transactions
        self._suppliers = suppliers

    async def __call__(self, caller: Caller, code: str | None = None) -> SupplierChoice:
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            everyone = await self._suppliers.all()
        if not isinstance(caller, StaffMember):
            return SupplierChoice(supplier, (supplier,))
        choices = tuple(s for s in everyone if caller.can_manage_supplier(s.id))
        return SupplierChoice(supplier, choices)
