"""Pull-API tokens of a supplier (``/api/v1/supplier/``): issue, list, revoke, authenticate.

Who may call it: staff of that supplier and administrators (``can_manage_supplier``); the API
door authenticates with AuthenticateSupplier. Guarantees: a token is shown once, only its SHA-256
is stored; a revoked token stops working at once (no cache); a token opens its own supplier's
data only and never the resident API (resident tokens live in another table); every issue and
revocation is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from komunalka.application.shared.ports import AuditLog, Clock
from komunalka.application.shared.tokens import token_hash
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.ports import (
    Suppliers,
    SupplierToken,
    SupplierTokenRepository,
)
from komunalka.application.suppliers.supplier_access import (
    Caller,
    SupplierKey,
    actor_of,
    managed_supplier,
)
from komunalka.domain.errors import DomainError
from komunalka.domain.staff import StaffMember

SUPPLIER_TOKEN_PREFIX = "kms_"  # noqa: S105 - a marker that makes leaked tokens easy to scan for
MAX_LABEL = 100


@dataclass(frozen=True, slots=True)
class IssuedSupplierToken:
    id: int
    token: str
    label: str


class IssueSupplierToken:
    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        tokens: SupplierTokenRepository,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._tokens = tokens
        self._audit = audit
        self._clock = clock

    async def __call__(self, caller: Caller, code: str | None, label: str) -> IssuedSupplierToken:
        name = " ".join(label.split())
        if not name or len(name) > MAX_LABEL:
            raise DomainError.of("portal.bad_label", limit=MAX_LABEL)
        now = self._clock.now()
        secret = SUPPLIER_TOKEN_PREFIX + secrets.token_urlsafe(32)
        staff_id = caller.id if isinstance(caller, StaffMember) else None
        async with self._transactions(write=True) as tx:
            supplier = await managed_supplier(self._suppliers, caller, code)
            token_id = await self._tokens.add_token(
                supplier.id, token_hash(secret), name, staff_id, now
            )
            subject = f"supplier_token:{token_id}"
            details = {"supplier": supplier.code, "label": name}
            await self._audit.record(
                actor_of(caller), "supplier_token.issue", subject, details, now
            )
            await tx.commit()
        return IssuedSupplierToken(token_id, secret, name)


class ListSupplierTokens:
    def __init__(
        self, transactions: Transactions, suppliers: Suppliers, tokens: SupplierTokenRepository
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._tokens = tokens

    async def __call__(self, caller: Caller, code: str | None) -> list[SupplierToken]:
        async with self._transactions():
            supplier = await managed_supplier(self._suppliers, caller, code)
            return await self._tokens.tokens(supplier.id)


class RevokeSupplierToken:
    def __init__(
        self,
        transactions: Transactions,
        suppliers: Suppliers,
        tokens: SupplierTokenRepository,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._suppliers = suppliers
        self._tokens = tokens
        self._audit = audit
        self._clock = clock

    async def __call__(self, caller: Caller, code: str | None, token_id: int) -> None:
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            supplier = await managed_supplier(self._suppliers, caller, code)
            if not await self._tokens.revoke_token(supplier.id, token_id, now):
                raise DomainError.of("portal.token_not_found")
            subject = f"supplier_token:{token_id}"
            await self._audit.record(actor_of(caller), "supplier_token.revoke", subject, {}, now)
            await tx.commit()


class AuthenticateSupplier:
    """The supplier a pull-API token belongs to, or None. Read-only."""

    def __init__(self, transactions: Transactions, tokens: SupplierTokenRepository) -> None:
        self._transactions = transactions
        self._tokens = tokens

    async def __call__(self, token: str) -> SupplierKey | None:
        if not token or len(token) > 200:
            return None
        async with self._transactions():
            supplier_id = await self._tokens.supplier_for_token(token_hash(token))
        return None if supplier_id is None else SupplierKey(supplier_id)
