"""The SMS door's storage (ADR 0026): linked phone numbers, their one-time codes, and the
inbound messages answered. SQLAlchemy Core on both databases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from komunalka.adapters.db.rows import dialect_insert
from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import phone_codes, phone_links, resident_profiles, sms_inbound
from komunalka.application.identity.phones import PhoneCode, PhoneOwner


class SqlPhoneBook(InScope):
    async def code_of(self, resident_id: int) -> PhoneCode | None:
        t = phone_codes
        row = (await self._conn.execute(select(t).where(t.c.resident_id == resident_id))).first()
        if row is None:
            return None
        return PhoneCode(
            row.resident_id,
            row.phone,
            row.code_hash,
            row.created_at,
            row.expires_at,
            row.attempts_left,
        )

    async def save_code(self, code: PhoneCode) -> None:
        values = {
            "phone": code.phone,
            "code_hash": code.code_hash,
            "created_at": code.created_at,
            "expires_at": code.expires_at,
            "attempts_left": code.attempts_left,
        }
        stmt = dialect_insert(self._conn, phone_codes).values(
            resident_id=code.resident_id, **values
        )
        await self._conn.execute(
            stmt.on_conflict_do_update(index_elements=["resident_id"], set_=values)
        )

    async def drop_code(self, resident_id: int) -> None:
        await self._conn.execute(
            delete(phone_codes).where(phone_codes.c.resident_id == resident_id)
        )

    async def link(self, phone: str, resident_id: int, at: datetime) -> None:
        # One number a resident: a new one replaces theirs.
        await self._conn.execute(
            delete(phone_links).where(
                phone_links.c.resident_id == resident_id, phone_links.c.phone != phone
            )
        )
        values = {"resident_id": resident_id, "linked_at": at}
        stmt = dialect_insert(self._conn, phone_links).values(phone=phone, **values)
        await self._conn.execute(stmt.on_conflict_do_update(index_elements=["phone"], set_=values))

    async def owner_of(self, phone: str) -> PhoneOwner | None:
        query = (
            select(phone_links.c.resident_id, resident_profiles.c.language)
            .outerjoin(
                resident_profiles, resident_profiles.c.resident_id == phone_links.c.resident_id
            )
            .where(phone_links.c.phone == phone)
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else PhoneOwner(row.resident_id, row.language or "uk")

    async def phone_of(self, resident_id: int) -> str | None:
        query = select(phone_links.c.phone).where(phone_links.c.resident_id == resident_id)
        return (await self._conn.execute(query)).scalar()


class SqlInboundSms(InScope):
    async def answered(self, gateway_id: str) -> bool:
        query = select(sms_inbound.c.gateway_id).where(sms_inbound.c.gateway_id == gateway_id)
        return (await self._conn.execute(query)).first() is not None

    async def record(self, gateway_id: str, phone: str, at: datetime) -> bool:
        stmt = dialect_insert(self._conn, sms_inbound).values(
            gateway_id=gateway_id, phone=phone, received_at=at
        )
        done = await self._conn.execute(stmt.on_conflict_do_nothing())
        return bool(done.rowcount == 1)
