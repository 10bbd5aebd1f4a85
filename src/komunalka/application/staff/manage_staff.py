"""AddStaff, UpdateStaff, ListStaff: the people who work the operator console and the supplier
portal.

Who may call them: an administrator (the console's staff page, or the command line as the
system). Guarantees: a role gets exactly the scope it needs (a district for a district operator,
a supplier for supplier staff); logins are unique; a deactivated member's sessions end at once.
"""

from __future__ import annotations

from dataclasses import replace

from komunalka.application.identity.sign_in import STAFF, check_password
from komunalka.application.ports import Clock, Conflict, PasswordHasher, UnitOfWorkFactory
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.staff import StaffMember, StaffRole, staff_problems


def _require_admin(actor: Actor, member: StaffMember | None) -> None:
    if actor.kind is ActorKind.SYSTEM:
        return
    if member is None or member.role is not StaffRole.ADMINISTRATOR or not member.active:
        raise DomainError.of("staff.forbidden")


class AddStaff:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, passwords: PasswordHasher) -> None:
        self._uow = uow
        self._clock = clock
        self._passwords = passwords

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
        problems = staff_problems(role, district, supplier_id)
        if problems:
            raise DomainError([Violation(code) for code in problems])
        check_password(password)
        hashed = self._passwords.hash(password)
        now = self._clock.now()
        async with self._uow(write=True) as uow:
            if supplier_id is not None and await uow.suppliers.get(supplier_id) is None:
                raise DomainError.of("supplier.not_found", supplier=supplier_id)
            member = StaffMember(0, login, name.strip()[:200], role, district.strip(), supplier_id)
            try:
                staff_id = await uow.staff.add(member, hashed, now)
            except Conflict as exc:
                raise DomainError.of("signin.login_taken") from exc
            member = replace(member, id=staff_id)
            details = {"role": role.value, "district": member.district, "supplier": supplier_id}
            await uow.audit.record(actor, "staff.add", f"staff:{staff_id}", details, now)
            await uow.commit()
        return member


class UpdateStaff:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, passwords: PasswordHasher) -> None:
        self._uow = uow
        self._clock = clock
        self._passwords = passwords

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
        problems = staff_problems(role, district, supplier_id)
        if problems:
            raise DomainError([Violation(code) for code in problems])
        hashed = None
        if password:
            check_password(password)
            hashed = self._passwords.hash(password)
        now = self._clock.now()
        async with self._uow(write=True) as uow:
            found = await uow.staff.get(staff_id)
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
            await uow.staff.update(member, hashed)
            if not active or hashed is not None:
                await uow.web_sessions.remove_all(STAFF, staff_id)
            details = {"role": role.value, "active": active, "password": hashed is not None}
            await uow.audit.record(actor, "staff.update", f"staff:{staff_id}", details, now)
            await uow.commit()
        return member


class ListStaff:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, by: StaffMember) -> list[StaffMember]:
        if by.role is not StaffRole.ADMINISTRATOR:
            raise DomainError.of("staff.forbidden")
        async with self._uow() as uow:
            return await uow.staff.all()
