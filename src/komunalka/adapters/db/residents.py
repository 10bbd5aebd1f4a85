"""Repositories of residents, their messenger identities and API tokens, their attempts to link
an account, and the media the app serves, on SQLAlchemy Core (accounts and meters:
repositories.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, insert, select, update

from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import (
    api_tokens,
    identities,
    link_attempts,
    media,
    residents,
)
from komunalka.application.accounts.ports import Attempts
from komunalka.application.identity.ports import Identity


class SqlLinkAttemptRepository(InScope):
    async def failures_since(
        self,
        resident_id: int,
        supplier_id: int,
        number: str,
        resident_since: datetime,
        account_since: datetime,
    ) -> Attempts:
        failed = link_attempts.c.success.is_(False)
        by_resident = select(func.count()).where(
            failed, link_attempts.c.resident_id == resident_id, link_attempts.c.at >= resident_since
        )
        by_account = select(func.count()).where(
            failed,
            link_attempts.c.supplier_id == supplier_id,
            link_attempts.c.account_number == number,
            link_attempts.c.at >= account_since,
        )
        row = (
            await self._conn.execute(
                select(by_resident.scalar_subquery(), by_account.scalar_subquery())
            )
        ).one()
        return Attempts(int(row[0]), int(row[1]))

    async def add(
        self, resident_id: int, supplier_id: int, number: str, success: bool, at: datetime
    ) -> None:
        values = {
            "resident_id": resident_id,
            "supplier_id": supplier_id,
            "account_number": number,
            "success": success,
            "at": at,
        }
        await self._conn.execute(insert(link_attempts).values(values))


class SqlResidentRepository(InScope):
    async def add(self, name: str, at: datetime) -> int:
        stmt = insert(residents).values(name=name, created_at=at).returning(residents.c.id)
        return int((await self._conn.execute(stmt)).scalar_one())

    async def exists(self, resident_id: int) -> bool:
        query = select(residents.c.id).where(residents.c.id == resident_id)
        return (await self._conn.execute(query)).first() is not None


class SqlIdentityRepository(InScope):
    async def get(self, channel: str, external_id: str) -> Identity | None:
        query = select(identities).where(
            identities.c.channel == channel, identities.c.external_id == external_id
        )
        row = (await self._conn.execute(query)).first()
        if row is None:
            return None
        return Identity(row.channel, row.external_id, row.resident_id, row.language, row.reminders)

    async def add(self, identity: Identity, at: datetime) -> None:
        values = {
            "channel": identity.channel,
            "external_id": identity.external_id,
            "resident_id": identity.resident_id,
            "language": identity.language,
            "reminders": identity.reminders,
            "created_at": at,
        }
        await self._conn.execute(insert(identities).values(values))

    async def update(self, identity: Identity) -> None:
        stmt = update(identities).where(
            identities.c.channel == identity.channel,
            identities.c.external_id == identity.external_id,
        )
        values = {"language": identity.language, "reminders": identity.reminders}
        await self._conn.execute(stmt.values(values))

    async def reassign(self, channel: str, external_id: str, resident_id: int) -> None:
        stmt = update(identities).where(
            identities.c.channel == channel, identities.c.external_id == external_id
        )
        await self._conn.execute(stmt.values(resident_id=resident_id))


class SqlMediaRepository(InScope):
    async def add(self, token: str, content: bytes, content_type: str, at: datetime) -> None:
        values = {
            "token": token,
            "content": content,
            "content_type": content_type,
            "created_at": at,
        }
        await self._conn.execute(insert(media).values(values))

    async def get(self, token: str, since: datetime) -> tuple[bytes, str] | None:
        query = select(media.c.content, media.c.content_type).where(
            media.c.token == token, media.c.created_at >= since
        )
        row = (await self._conn.execute(query)).first()
        return (bytes(row.content), row.content_type) if row else None

    async def forget_before(self, before: datetime) -> None:
        await self._conn.execute(delete(media).where(media.c.created_at < before))


class SqlTokenRepository(InScope):
    async def add(self, resident_id: int, token_hash: str, label: str, at: datetime) -> None:
        values = {
            "resident_id": resident_id,
            "token_hash": token_hash,
            "label": label,
            "created_at": at,
        }
        await self._conn.execute(insert(api_tokens).values(values))

    async def resident_for(self, token_hash: str) -> int | None:
        query = select(api_tokens.c.resident_id).where(
            api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None)
        )
        found = (await self._conn.execute(query)).scalar()
        return int(found) if found is not None else None

    async def revoke(self, token_hash: str, at: datetime) -> int | None:
        live = and_(api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None))
        stmt = update(api_tokens).where(live).values(revoked_at=at)
        found = (await self._conn.execute(stmt.returning(api_tokens.c.resident_id))).scalar()
        return int(found) if found is not None else None
