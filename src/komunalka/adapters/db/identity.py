"""The identity feature's repositories of the web sign-in: residents' logins and profiles,
sessions, sign-in attempts, one-time tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import (
    identities,
    one_time_tokens,
    resident_profiles,
    sign_in_attempts,
    web_logins,
    web_sessions,
)
from komunalka.application.identity.ports import (
    Identity,
    ResidentProfile,
    WebLogin,
    WebSession,
)
from komunalka.application.shared.ports import Conflict


async def insert_unique(conn: AsyncConnection, stmt: object) -> int:
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
        return await insert_unique(self._conn, stmt)

    async def set_password(self, resident_id: int, password_hash: str) -> None:
        stmt = update(web_logins).where(web_logins.c.resident_id == resident_id)
        await self._conn.execute(stmt.values(password_hash=password_hash))


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

    async def succeeded_since(self, key: str, since: datetime) -> bool:
        query = select(sign_in_attempts.c.id).where(
            sign_in_attempts.c.key == key,
            sign_in_attempts.c.at >= since,
            sign_in_attempts.c.success.is_(True),
        )
        return (await self._conn.execute(query.limit(1))).first() is not None

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
