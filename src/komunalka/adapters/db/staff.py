"""The staff feature's repositories on SQLAlchemy Core: account search within a scope, the audit
trail read back, the supplier catalogue an administrator keeps, and the staff members.

Letter case: SQLite's LOWER and LIKE fold ASCII only, and PostgreSQL folds by the database's
locale, which may be "C". So a case-insensitive search is a regular expression whose every letter
is a class of its two cases (``[хХ][рР]…``): exact on both databases whatever their locale.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from komunalka.adapters.db.identity import insert_unique
from komunalka.adapters.db.rows import account_of, supplier_from_row
from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import (
    account_links,
    accounts,
    audit_log,
    readings,
    resident_profiles,
    residents,
    staff,
    suppliers,
    web_logins,
)
from komunalka.application.shared.ports import Conflict, StaffRecord
from komunalka.application.staff.ports import AccountScope, AuditEntry, SupplierRecord
from komunalka.domain.meters import Account, Supplier
from komunalka.domain.staff import StaffMember, StaffRole


def any_case_pattern(text: str) -> str:
    """A regular expression (the same on SQLite's Python `re` and PostgreSQL's ARE) matching
    `text` in any letter case; a character other than a letter, digit or space matches any."""
    parts = []
    for char in text:
        lower, upper = char.lower(), char.upper()
        if len(lower) == 1 and len(upper) == 1 and lower != upper:
            parts.append(f"[{lower}{upper}]")
        elif char in "0123456789 ":
            parts.append(char)
        else:
            parts.append(".")
    return "".join(parts)


def _scoped(query: Any, scope: AccountScope) -> Any:
    if scope.district is not None:
        query = query.where(accounts.c.district == scope.district)
    if scope.supplier_id is not None:
        query = query.where(accounts.c.supplier_id == scope.supplier_id)
    return query


def _audit_entry(row: Any) -> AuditEntry:
    try:
        details = json.loads(row.details)
    except ValueError:
        details = {}
    return AuditEntry(
        row.id,
        row.at,
        row.actor_kind,
        row.actor_id,
        row.channel,
        row.action,
        row.subject,
        details if isinstance(details, dict) else {},
        row.note,
        row.on_behalf_of,
        getattr(row, "on_behalf_name", None) or "",
    )


class SqlAccountSearch(InScope):
    async def account(self, account_id: int) -> Account | None:
        row = (
            await self._conn.execute(select(accounts).where(accounts.c.id == account_id))
        ).first()
        return account_of(row) if row else None

    async def _accounts(self, query: Any, scope: AccountScope, limit: int) -> list[Account]:
        query = _scoped(query, scope).limit(limit)
        return [account_of(r) for r in await self._conn.execute(query)]

    async def by_number(self, prefix: str, scope: AccountScope, limit: int) -> list[Account]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        exact_first = (accounts.c.number != prefix).label("not_exact")
        query = (
            select(accounts, exact_first)
            .where(accounts.c.number.like(f"{escaped}%", escape="\\"))
            .order_by(exact_first, accounts.c.number, accounts.c.supplier_id)
        )
        return await self._accounts(query, scope, limit)

    async def by_address(
        self, words: Sequence[str], scope: AccountScope, limit: int
    ) -> list[Account]:
        conditions = [accounts.c.address.regexp_match(any_case_pattern(w)) for w in words]
        query = select(accounts).where(and_(*conditions)).order_by(accounts.c.address)
        return await self._accounts(query, scope, limit)

    async def by_surname(self, prefix: str, scope: AccountScope, limit: int) -> list[Account]:
        pattern = "^" + any_case_pattern(prefix)
        query = (
            select(accounts)
            .where(accounts.c.holder.regexp_match(pattern))
            .order_by(accounts.c.holder, accounts.c.number)
        )
        return await self._accounts(query, scope, limit)

    async def by_phone(self, phone: str, scope: AccountScope, limit: int) -> list[Account]:
        by_login = select(web_logins.c.resident_id).where(web_logins.c.login == phone)
        by_contact = select(resident_profiles.c.resident_id).where(
            resident_profiles.c.contact == phone
        )
        residents = by_login.union(by_contact).subquery()
        query = (
            select(accounts)
            .where(
                accounts.c.id.in_(
                    select(account_links.c.account_id).where(
                        account_links.c.resident_id.in_(select(residents.c.resident_id))
                    )
                )
            )
            .order_by(accounts.c.supplier_id, accounts.c.number)
        )
        return await self._accounts(query, scope, limit)

    async def linked_residents(self, account_id: int) -> list[int]:
        query = (
            select(account_links.c.resident_id)
            .where(account_links.c.account_id == account_id)
            .order_by(account_links.c.resident_id)
        )
        return [int(r) for r in (await self._conn.execute(query)).scalars()]


class SqlAuditTrail(InScope):
    async def trail(
        self, account_id: int, meter_ids: Sequence[int], limit: int
    ) -> list[AuditEntry]:
        subjects = [f"account:{account_id}", *(f"meter:{m}" for m in meter_ids)]
        submission = literal("submission:") + cast(readings.c.submission_id, String)
        of_readings = (
            select(submission)
            .where(readings.c.meter_id.in_(meter_ids), readings.c.submission_id.is_not(None))
            .distinct()
        )
        # the name of the resident each entry was for, where there is one
        for_whom = audit_log.outerjoin(residents, residents.c.id == audit_log.c.on_behalf_of)
        query = (
            select(audit_log, residents.c.name.label("on_behalf_name"))
            .select_from(for_whom)
            .where(or_(audit_log.c.subject.in_(subjects), audit_log.c.subject.in_(of_readings)))
            .order_by(audit_log.c.id.desc())
            .limit(limit)
        )
        return [_audit_entry(r) for r in await self._conn.execute(query)]

    async def entries(self, subject: str, action: str) -> list[AuditEntry]:
        query = (
            select(audit_log)
            .where(audit_log.c.subject == subject, audit_log.c.action == action)
            .order_by(audit_log.c.id)
        )
        return [_audit_entry(r) for r in await self._conn.execute(query)]


class SqlSupplierCatalog(InScope):
    async def suppliers(self) -> list[SupplierRecord]:
        rows = await self._conn.execute(select(suppliers).order_by(suppliers.c.id))
        return [_record(r) for r in rows]

    async def supplier(self, supplier_id: int) -> SupplierRecord | None:
        query = select(suppliers).where(suppliers.c.id == supplier_id)
        row = (await self._conn.execute(query)).first()
        return _record(row) if row else None

    async def add_supplier(self, supplier: Supplier, services: Sequence[str]) -> int:
        stmt = insert(suppliers).values(_values(supplier, services)).returning(suppliers.c.id)
        try:
            return int((await self._conn.execute(stmt)).scalar_one())
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc

    async def update_supplier(self, supplier: Supplier, services: Sequence[str]) -> None:
        stmt = (
            update(suppliers)
            .where(suppliers.c.id == supplier.id)
            .values(_values(supplier, services))
        )
        try:
            await self._conn.execute(stmt)
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc


def _values(supplier: Supplier, services: Sequence[str]) -> dict[str, str]:
    return {
        "code": supplier.code,
        "name": supplier.name,
        "timezone": supplier.window.timezone,
        "window_rule": str(supplier.window),
        "account_pattern": supplier.account_pattern,
        "services": ",".join(services),
    }


def _record(row: Any) -> SupplierRecord:
    services = tuple(s for s in row.services.split(",") if s)
    return SupplierRecord(supplier_from_row(row), services)


def _staff(row: object) -> StaffRecord:
    r = row
    member = StaffMember(
        id=r.id,  # type: ignore[attr-defined]
        login=r.login,  # type: ignore[attr-defined]
        name=r.name,  # type: ignore[attr-defined]
        role=StaffRole(r.role),  # type: ignore[attr-defined]
        district=r.district,  # type: ignore[attr-defined]
        supplier_id=r.supplier_id,  # type: ignore[attr-defined]
        active=bool(r.active),  # type: ignore[attr-defined]
    )
    return StaffRecord(member, r.password_hash)  # type: ignore[attr-defined]


class SqlStaffRepository(InScope):
    async def by_login(self, login: str) -> StaffRecord | None:
        row = (await self._conn.execute(select(staff).where(staff.c.login == login))).first()
        return None if row is None else _staff(row)

    async def get(self, staff_id: int) -> StaffRecord | None:
        row = (await self._conn.execute(select(staff).where(staff.c.id == staff_id))).first()
        return None if row is None else _staff(row)

    async def all(self) -> list[StaffMember]:
        rows = (await self._conn.execute(select(staff).order_by(staff.c.id))).all()
        return [_staff(r).member for r in rows]

    async def add(self, member: StaffMember, password_hash: str, at: datetime) -> int:
        values = {
            "login": member.login,
            "name": member.name,
            "role": member.role.value,
            "district": member.district,
            "supplier_id": member.supplier_id,
            "password_hash": password_hash,
            "active": member.active,
            "created_at": at,
        }
        return await insert_unique(self._conn, insert(staff).values(values).returning(staff.c.id))

    async def update(self, member: StaffMember, password_hash: str | None = None) -> None:
        values: dict[str, object] = {
            "name": member.name,
            "role": member.role.value,
            "district": member.district,
            "supplier_id": member.supplier_id,
            "active": member.active,
        }
        if password_hash is not None:
            values["password_hash"] = password_hash
        await self._conn.execute(update(staff).where(staff.c.id == member.id).values(values))
