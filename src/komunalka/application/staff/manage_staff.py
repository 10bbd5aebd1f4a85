"""AddStaff, UpdateStaff, ListStaff: the people who work the operator console and the supplier
portal.

Who may call them: an administrator (the console's staff page, or the command line as the
system). Guarantees: a role gets exactly the scope it needs (a district for a district operator,
a supplier for supplier staff); logins are unique; a deactivated member's sessions end at once.
"""

from __future__ import annotations

from dataclasses import replace

from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.logins import STAFF, check_password
from komunalka.application.shared.lookalikes import refuse_lookalikes
from komunalka.application.shared.ports import (
    AuditLog,
    Clock,
    Conflict,
    PasswordHasher,
    StaffRepository,
    SupplierRepository,
)
from komunalka.application.shared.transactions import Transactions
from komunalka.application.staff.ports import StaffSessions
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.staff import StaffMember, StaffRole, staff_problems


def _require_admin(actor: Actor, member: StaffMember | None) -> None:
    if actor.kind is ActorKind.SYSTEM:
        return
    if member is None or member.role is not StaffRole.ADMINISTRATOR or not member.active:
        raise DomainError.of("staff.forbidden")


def _check_scope(role: StaffRole, district: str, supplier_id: int | None) -> None:
    problems = staff_problems(role, district, supplier_id)
    if problems:
        raise DomainError([Violation(code) for code in problems])


class AddStaff:
    def __init__(
        self,
        transactions: Transactions,
        staff: StaffRepository,
        suppliers: SupplierRepository,
        audit: AuditLog,
        passwords: PasswordHasher,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._staff = staff
        self._suppliers = suppliers
        self._audit = audit
        self._passwords = passwords
        self._clock = clock

    async def __call__(
        self,
        actor: Actor,
        by: StaffMember | None,
        login: str,
        name: str,
        role: StaffRole,
        password: str,
        district: str = "",
        supplier_id: int | None = None,
    ) -> StaffMember:
        _require_admin(actor, by)
        login = login.strip().lower()
        if not login or len(login) > 254:
            raise DomainError.of("signin.bad_login")
        if not name.strip():
            raise DomainError.of("signin.name_required")
        _check_scope(role, district, supplier_id)
        check_password(password)
        hashed = self._passwords.hash(password)
        now = self._clock.now()
        member = StaffMember(0, login, name.strip()[:200], role, district.strip(), supplier_id)
        async with self._transactions(write=True) as tx:
            if supplier_id is not None and await self._suppliers.get(supplier_id) is None:
                raise DomainError.of("supplier.not_found", supplier=supplier_id)
            await refuse_lookalikes(login, self._taken)
            try:
                staff_id = await self._staff.add(member, hashed, now)
            except Conflict as exc:
                raise DomainError.of("signin.login_taken") from exc
            member = replace(member, id=staff_id)
            details = {"role": role.value, "district": member.district, "supplier": supplier_id}
            await self._audit.record(actor, "staff.add", f"staff:{staff_id}", details, now)
            await tx.commit()
        return member

    async def _taken(self, login: str) -> bool:
        return await self._staff.by_login(login) is not None


class UpdateStaff:
    def __init__(
        self,
        transactions: Transactions,
        staff: StaffRepository,
        sessions: StaffSessions,
        audit: AuditLog,
        passwords: PasswordHasher,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._staff = staff
        self._sessions = sessions
        self._audit = audit
        self._passwords = passwords
        self._clock = clock

    async def __call__(
        self,
        actor: Actor,
        by: StaffMember | None,
        staff_id: int,
        *,
        role: StaffRole,
        district: str,
        supplier_id: int | None,
        active: bool,
        password: str | None = None,
    ) -> StaffMember:
        _require_admin(actor, by)
        _check_scope(role, district, supplier_id)
        hashed = None
        if password:
            check_password(password)
            hashed = self._passwords.hash(password)
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            found = await self._staff.get(staff_id)
            if found is None:
                raise DomainError.of("staff.not_found")
            if by is not None and by.id == staff_id and not active:
                raise DomainError.of("staff.self_deactivate")
            member = replace(
                found.member,
                role=role,
                district=district.strip(),
                supplier_id=supplier_id,
                active=active,
            )
            await self._staff.update(member, hashed)
            if not active or hashed is not None:
                await self._sessions.remove_all(STAFF, staff_id)
            details = {"role": role.value, "active": active, "password": hashed is not None}
            await self._audit.record(actor, "staff.update", f"staff:{staff_id}", details, now)
            await tx.commit()
        return member


class ListStaff:
    def __init__(self, transactions: Transactions, staff: StaffRepository) -> None:
        self._transactions = transactions
        self._staff = staff

    async def __call__(self, by: StaffMember) -> list[StaffMember]:
        if by.role is not StaffRole.ADMINISTRATOR:
            raise DomainError.of("staff.forbidden")
        async with self._transactions():
            return await self._staff.all()
