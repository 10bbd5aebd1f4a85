"""Whose supplier a request may touch: a staff member's (supplier staff: their own only; an
administrator: any, picked by code) or a pull-API token's.

Who may call it: the supplier portal's use cases, before anything else. Guarantees: a supplier
the caller may not manage answers exactly like an unknown one (``supplier.not_found``), so
nobody learns of another supplier's data, not even that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.application.ports import UnitOfWork, UnitOfWorkFactory
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import Supplier
from komunalka.domain.services import Channel
from komunalka.domain.staff import StaffMember, StaffRole


@dataclass(frozen=True, slots=True)
class SupplierKey:
    """A supplier proven by its pull-API token (see AuthenticateSupplier)."""

    supplier_id: int


Caller = StaffMember | SupplierKey


def actor_of(caller: Caller) -> Actor:
    if isinstance(caller, SupplierKey):
        return Actor(ActorKind.SUPPLIER, caller.supplier_id, Channel.API)
    kind = ActorKind.SUPPLIER if caller.role is StaffRole.SUPPLIER else ActorKind.OPERATOR
    return Actor(kind, caller.id, Channel.WEB)


async def managed_supplier(uow: UnitOfWork, caller: Caller, code: str | None) -> Supplier:
    """The supplier the caller acts for: `code` when given (and allowed), else their own (an
    administrator without a code gets the first supplier)."""
    wanted = (code or "").strip() or None
    supplier: Supplier | None
    if isinstance(caller, SupplierKey):
        supplier = await uow.suppliers.get(caller.supplier_id)
        allowed = supplier is not None and wanted in (None, supplier.code)
    else:
        if wanted is not None:
            supplier = await uow.suppliers.by_code(wanted)
        elif caller.supplier_id is not None:
            supplier = await uow.suppliers.get(caller.supplier_id)
        else:
            found = await uow.suppliers.all() if caller.role is StaffRole.ADMINISTRATOR else []
            supplier = found[0] if found else None
        allowed = supplier is not None and caller.can_manage_supplier(supplier.id)
    if supplier is None or not allowed:
        raise DomainError.of("supplier.not_found", supplier=wanted or "")
    return supplier


@dataclass(frozen=True, slots=True)
class SupplierChoice:
    supplier: Supplier
    # The suppliers the caller may switch between (an administrator: all; others: their own).
    choices: tuple[Supplier, ...]


class OpenSupplier:
    """The supplier a portal page is about, and the ones its viewer may pick. Read-only."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, caller: Caller, code: str | None = None) -> SupplierChoice:
        async with self._uow() as uow:
            supplier = await managed_supplier(uow, caller, code)
            everyone = await uow.suppliers.all()
        if isinstance(caller, SupplierKey):
            return SupplierChoice(supplier, (supplier,))
        choices = tuple(s for s in everyone if caller.can_manage_supplier(s.id))
        return SupplierChoice(supplier, choices)
