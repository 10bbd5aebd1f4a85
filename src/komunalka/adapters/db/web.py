"""Repositories of the web doors: residents' logins and profiles, staff, sessions, sign-in
attempts, one-time links and the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import (
    identities,
    one_time_tokens,
    outbox,
    resident_profiles,
    sign_in_attempts,
    staff,
    web_logins,
    web_sessions,
)
from komunalka.application.ports import (
    Conflict,
    Identity,
    OutgoingMessage,
    ResidentProfile,
    StaffRecord,
    WebLogin,
    WebSession,
)
from komunalka.domain.staff import StaffMember, StaffRole


async def _insert_unique(conn: AsyncConnection, stmt: object) -> int:
    """Runs an INSERT … RETURNING id; a taken unique value raises `Conflict` (the transaction is
    then spoilt: the use case gives up and rolls back)."""
    try:
        return int((await conn.execute(stmt)).scalar_one())  # type: ignore[call-overload]
    except IntegrityError as exc:
        raise Conflict(str(exc.orig)) from exc


class SqlWebLoginRepository(InScope):
    async def by_login(self, login: str) -> WebLogin | None:
        row = (
            await self._conn.execute(select(web_logins).where(web_logins.c.login == login))
        ).first()
        return (
            None if row is None else WebLogin(row.id, row.resident_id, row.login, row.password_hash)
        )

    async def of_resident(self, resident_id: int) -> list[WebLogin]:
        query = select(web_logins).where(web_logins.c.resident_id == resident_id)
        rows = (await self._conn.execute(query.order_by(web_logins.c.id))).all()
        return [WebLogin(r.id, r.resident_id, r.login, r.password_hash) for r in rows]

    async def add(self, resident_id: int, login: str, password_hash: str, at: datetime) -> int:
        values = {
            "resident_id": resident_id,
            "login": login,
            "password_hash": password_hash,
            "created_at": at,
        }
        stmt = insert(web_logins).values(values).returning(web_logins.c.id)
        return await _insert_unique(self._conn, stmt)

    async def set_password(self, resident_id: int, password_hash: str) -> None:
        stmt = update(web_logins).where(web_logins.c.resident_id == resident_id)
        await self._conn.execute(stmt.values(password_hash=password_hash))


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
        return await _insert_unique(self._conn, insert(staff).values(values).returning(staff.c.id))

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


class SqlWebSessionRepository(InScope):
    async def add(self, session: WebSession, at: datetime) -> None:
        values = {
            "token_hash": session.token_hash,
            "kind": session.kind,
            "subject_id": session.subject_id,
            "created_at": at,
            "expires_at": session.expires_at,
        }
        await self._conn.execute(insert(web_sessions).values(values))

    async def live(self, token_hash: str, now: datetime) -> WebSession | None:
        query = select(web_sessions).where(
            web_sessions.c.token_hash == token_hash, web_sessions.c.expires_at > now
        )
        row = (await self._conn.execute(query)).first()
        if row is None:
            return None
        return WebSession(row.token_hash, row.kind, row.subject_id, row.expires_at)

    async def remove(self, token_hash: str) -> None:
        await self._conn.execute(
            delete(web_sessions).where(web_sessions.c.token_hash == token_hash)
        )

    async def remove_all(self, kind: str, subject_id: int) -> None:
        await self._conn.execute(
            delete(web_sessions).where(
                web_sessions.c.kind == kind, web_sessions.c.subject_id == subject_id
            )
        )

    async def forget_before(self, before: datetime) -> None:
        await self._conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= before))


class SqlSignInAttemptRepository(InScope):
    async def failures_since(self, key: str, since: datetime) -> int:
        query = select(func.count()).where(
            sign_in_attempts.c.key == key,
            sign_in_attempts.c.at >= since,
            sign_in_attempts.c.success.is_(False),
        )
        return int((await self._conn.execute(query)).scalar_one())

    async def add(self, key: str, success: bool, at: datetime) -> None:
        values = {"key": key, "success": success, "at": at}
        await self._conn.execute(insert(sign_in_attempts).values(values))


class SqlOneTimeTokenRepository(InScope):
    async def add(
        self, token_hash: str, purpose: str, subject_id: int, expires_at: datetime
    ) -> None:
        values = {
            "token_hash": token_hash,
            "purpose": purpose,
            "subject_id": subject_id,
            "expires_at": expires_at,
        }
        await self._conn.execute(insert(one_time_tokens).values(values))

    async def use(self, token_hash: str, purpose: str, now: datetime) -> int | None:
        t = one_time_tokens.c
        stmt = (
            update(one_time_tokens)
            .where(
                t.token_hash == token_hash,
                t.purpose == purpose,
                t.used_at.is_(None),
                t.expires_at > now,
            )
            .values(used_at=now)
            .returning(t.subject_id)
        )
        row = (await self._conn.execute(stmt)).first()
        return None if row is None else int(row.subject_id)


class SqlOutbox(InScope):
    async def add(self, message: OutgoingMessage, at: datetime) -> None:
        values = {
            "channel": message.channel,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
            "created_at": at,
        }
        await self._conn.execute(insert(outbox).values(values))

    async def unsent(self, limit: int) -> list[tuple[int, OutgoingMessage]]:
        query = select(outbox).where(outbox.c.sent_at.is_(None)).order_by(outbox.c.id).limit(limit)
        rows = (await self._conn.execute(query)).all()
        return [(r.id, OutgoingMessage(r.channel, r.recipient, r.subject, r.body)) for r in rows]

    async def mark_sent(self, message_id: int, at: datetime) -> None:
        await self._conn.execute(update(outbox).where(outbox.c.id == message_id).values(sent_at=at))


class SqlResidentProfileRepository(InScope):
    async def get(self, resident_id: int) -> ResidentProfile | None:
        query = select(resident_profiles).where(resident_profiles.c.resident_id == resident_id)
        row = (await self._conn.execute(query)).first()
        if row is None:
            return None
        return ResidentProfile(
            row.resident_id,
            row.language,
            row.reminder_channel,
            row.reminder_consent_at,
            row.contact,
        )

    async def save(self, profile: ResidentProfile) -> None:
        values = {
            "language": profile.language,
            "reminder_channel": profile.reminder_channel,
            "reminder_consent_at": profile.reminder_consent_at,
            "contact": profile.contact,
        }
        p = resident_profiles.c
        done = await self._conn.execute(
            update(resident_profiles).where(p.resident_id == profile.resident_id).values(values)
        )
        if not done.rowcount:
            await self._conn.execute(
                insert(resident_profiles).values(resident_id=profile.resident_id, **values)
            )

    async def identities_of(self, resident_id: int) -> list[Identity]:
        query = select(identities).where(identities.c.resident_id == resident_id)
        rows = (await self._conn.execute(query.order_by(identities.c.channel))).all()
        return [
            Identity(r.channel, r.external_id, r.resident_id, r.language, r.reminders) for r in rows
        ]
