"""Consent on shared accounts (application/accounts/ports.py): who is linked to an account,
where each resident is told things about it, and who cares for whom."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update

from komunalka.adapters.db.rows import dialect_insert
from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import (
    ACTIVE_CARE,
    account_links,
    caretakers,
    identities,
    resident_profiles,
    residents,
    web_logins,
)
from komunalka.application.accounts.ports import Caretaking, LinkedResident, NoticeAddress

MESSENGERS = ("telegram", "viber")
CONTACT_CHANNELS = ("email", "sms")


class SqlAccountResidents(InScope):
    async def of_account(self, account_id: int) -> list[LinkedResident]:
        query = (
            select(account_links.c.resident_id, residents.c.name, account_links.c.linked_at)
            .join(residents, residents.c.id == account_links.c.resident_id)
            .where(account_links.c.account_id == account_id)
            .order_by(account_links.c.linked_at, account_links.c.resident_id)
        )
        rows = await self._conn.execute(query)
        return [LinkedResident(int(r.resident_id), r.name, r.linked_at) for r in rows]

    async def names(self, resident_ids: Sequence[int]) -> dict[int, str]:
        query = select(residents.c.id, residents.c.name).where(residents.c.id.in_(resident_ids))
        return {int(r.id): r.name for r in await self._conn.execute(query)}

    async def notice_addresses(self, resident_ids: Sequence[int]) -> dict[int, NoticeAddress]:
        ids = list(resident_ids)
        if not ids:
            return {}
        p = resident_profiles
        profiles = {
            int(r.resident_id): r
            for r in await self._conn.execute(select(p).where(p.c.resident_id.in_(ids)))
        }
        i = identities
        messengers: dict[int, dict[str, tuple[str, str]]] = {}
        query = (
            select(i.c.resident_id, i.c.channel, i.c.external_id, i.c.language)
            .where(
                i.c.resident_id.in_(ids), i.c.channel.in_(MESSENGERS), i.c.unreachable_at.is_(None)
            )
            .order_by(i.c.external_id)
        )
        for r in await self._conn.execute(query):
            messengers.setdefault(int(r.resident_id), {}).setdefault(
                r.channel, (r.external_id, r.language)
            )
        w = web_logins
        logins: dict[int, str] = {}
        query = select(w.c.resident_id, w.c.login).where(w.c.resident_id.in_(ids))
        for login in await self._conn.execute(query.order_by(w.c.id)):
            logins.setdefault(int(login.resident_id), login.login)
        found: dict[int, NoticeAddress] = {}
        for resident_id in ids:
            address = _address(
                profiles.get(resident_id), messengers.get(resident_id, {}), logins.get(resident_id)
            )
            if address is not None:
                found[resident_id] = address
        return found


def _address(
    profile: object | None, messengers: dict[str, tuple[str, str]], login: str | None
) -> NoticeAddress | None:
    """The profile's reminder channel (with consent) first, then a messenger (Telegram before
    Viber), then the login; the profile's language, else the messenger's, else Ukrainian."""
    channel = getattr(profile, "reminder_channel", "none")
    consented = getattr(profile, "reminder_consent_at", None) is not None
    contact = getattr(profile, "contact", "")
    language = getattr(profile, "language", None)
    if consented and channel in CONTACT_CHANNELS and contact:
        return NoticeAddress(channel, contact, language or "uk")
    if consented and channel in messengers:
        external, spoken = messengers[channel]
        return NoticeAddress(channel, external, language or spoken)
    for messenger in MESSENGERS:
        if messenger in messengers:
            external, spoken = messengers[messenger]
            return NoticeAddress(messenger, external, language or spoken)
    if login:
        return NoticeAddress("email" if "@" in login else "sms", login, language or "uk")
    return None


class SqlCaretakers(InScope):
    """Caretakers: one active row per pair (a partial unique index); ending keeps the row."""

    async def start(self, resident_id: int, caretaker_id: int, at: datetime) -> bool:
        if await self.is_active(resident_id, caretaker_id):
            return False
        values = {"resident_id": resident_id, "caretaker_id": caretaker_id, "started_at": at}
        stmt = dialect_insert(self._conn, caretakers).values(values)
        stmt = stmt.on_conflict_do_nothing(
            index_elements=["resident_id", "caretaker_id"], index_where=text(ACTIVE_CARE)
        )
        return bool((await self._conn.execute(stmt)).rowcount)

    async def end(self, resident_id: int, caretaker_id: int, at: datetime) -> bool:
        c = caretakers.c
        stmt = (
            update(caretakers)
            .where(c.resident_id == resident_id, c.caretaker_id == caretaker_id)
            .where(c.ended_at.is_(None))
            .values(ended_at=at)
        )
        return bool((await self._conn.execute(stmt)).rowcount)

    async def is_active(self, resident_id: int, caretaker_id: int) -> bool:
        c = caretakers.c
        query = select(c.id).where(
            c.resident_id == resident_id, c.caretaker_id == caretaker_id, c.ended_at.is_(None)
        )
        return (await self._conn.execute(query.limit(1))).first() is not None

    async def _list(self, where: Any) -> list[Caretaking]:
        c = caretakers.c
        resident, caretaker = residents.alias("resident"), residents.alias("caretaker")
        query = (
            select(
                c.resident_id,
                resident.c.name.label("resident_name"),
                c.caretaker_id,
                caretaker.c.name.label("caretaker_name"),
                c.started_at,
            )
            .join(resident, resident.c.id == c.resident_id)
            .join(caretaker, caretaker.c.id == c.caretaker_id)
            .where(where, c.ended_at.is_(None))
            .order_by(c.started_at, c.id)
        )
        return [
            Caretaking(
                int(r.resident_id),
                r.resident_name,
                int(r.caretaker_id),
                r.caretaker_name,
                r.started_at,
            )
            for r in await self._conn.execute(query)
        ]

    async def of_resident(self, resident_id: int) -> list[Caretaking]:
        return await self._list(caretakers.c.resident_id == resident_id)

    async def cared_for_by(self, caretaker_id: int) -> list[Caretaking]:
        return await self._list(caretakers.c.caretaker_id == caretaker_id)
