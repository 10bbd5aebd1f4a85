"""Repositories on SQLAlchemy Core: one statement per call, no ORM on the hot path."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, and_, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from komunalka.adapters.db.tables import (
    account_links,
    accounts,
    api_tokens,
    audit_log,
    link_attempts,
    meters,
    readings,
    residents,
    submissions,
    suppliers,
)
from komunalka.application.actors import Actor
from komunalka.application.ports import Attempts, Claim, MeterContext
from komunalka.domain.meters import Account, Meter, MeterStatus, Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus
from komunalka.domain.services import Channel, Service
from komunalka.domain.values import from_milli, to_milli
from komunalka.domain.windows import WindowRule


def dialect_insert(conn: AsyncConnection, table: Any) -> Any:
    """INSERT with ON CONFLICT for the connection's database."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


@lru_cache(maxsize=256)
def supplier_of(
    supplier_id: int, code: str, name: str, timezone: str, rule: str, pattern: str
) -> Supplier:
    # Cached: suppliers are few and their rules are parsed on every submission otherwise.
    return Supplier(supplier_id, code, name, WindowRule.parse(rule, timezone), pattern)


def _supplier(row: Row[Any]) -> Supplier:
    return supplier_of(
        row.id, row.code, row.name, row.timezone, row.window_rule, row.account_pattern
    )


def account_of(row: Any) -> Account:
    return Account(row.id, row.supplier_id, row.number, row.holder, row.address, row.district)


def meter_of(row: Any, id_field: str = "id") -> Meter:
    return Meter(
        id=getattr(row, id_field),
        account_id=row.account_id,
        service=Service(row.service),
        serial=row.serial,
        registers=tuple(row.registers.split("|")),
        digits=row.digits,
        decimals=row.decimals,
        verification_due=row.verification_due,
        status=MeterStatus(row.status),
    )


def reading_of(row: Any) -> Reading:
    return Reading(
        meter_id=row.meter_id,
        register=row.register,
        period=BillingPeriod.from_index(row.period),
        value=from_milli(row.value_milli),
        submitted_at=row.submitted_at,
        channel=Channel(row.channel),
        receipt=row.receipt or "",
        status=ReadingStatus(row.status),
        id=row.id,
        submission_id=row.submission_id,
    )


class SqlSupplierRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, supplier_id: int) -> Supplier | None:
        row = (
            await self._conn.execute(select(suppliers).where(suppliers.c.id == supplier_id))
        ).first()
        return _supplier(row) if row else None

    async def by_code(self, code: str) -> Supplier | None:
        row = (await self._conn.execute(select(suppliers).where(suppliers.c.code == code))).first()
        return _supplier(row) if row else None

    async def all(self) -> list[Supplier]:
        rows = await self._conn.execute(select(suppliers).order_by(suppliers.c.id))
        return [_supplier(r) for r in rows]

    async def add(self, supplier: Supplier, services: Sequence[str]) -> Supplier:
        values = {
            "code": supplier.code,
            "name": supplier.name,
            "timezone": supplier.window.timezone,
            "window_rule": str(supplier.window),
            "account_pattern": supplier.account_pattern,
            "services": ",".join(services),
        }
        new_id = (await self._conn.execute(insert(suppliers).values(values))).inserted_primary_key
        assert new_id is not None
        return Supplier(
            new_id[0], supplier.code, supplier.name, supplier.window, supplier.account_pattern
        )


class SqlAccountRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def by_number(self, supplier_id: int, number: str) -> Account | None:
        query = select(accounts).where(
            accounts.c.supplier_id == supplier_id, accounts.c.number == number
        )
        row = (await self._conn.execute(query)).first()
        return account_of(row) if row else None

    async def linked_to(self, resident_id: int) -> list[Account]:
        query = (
            select(accounts)
            .join(account_links, account_links.c.account_id == accounts.c.id)
            .where(account_links.c.resident_id == resident_id)
            .order_by(accounts.c.supplier_id, accounts.c.number)
        )
        return [account_of(r) for r in await self._conn.execute(query)]

    async def is_linked(self, resident_id: int, account_id: int) -> bool:
        query = select(account_links.c.account_id).where(
            account_links.c.resident_id == resident_id, account_links.c.account_id == account_id
        )
        return (await self._conn.execute(query)).first() is not None

    async def link(self, resident_id: int, account_id: int, proof: str, at: datetime) -> bool:
        stmt = dialect_insert(self._conn, account_links).values(
            resident_id=resident_id, account_id=account_id, proof=proof, linked_at=at
        )
        result = await self._conn.execute(stmt.on_conflict_do_nothing())
        return bool(result.rowcount)


class SqlMeterRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def contexts(
        self, meter_ids: Sequence[int], *, lock: bool, resident_id: int | None = None
    ) -> list[MeterContext]:
        linked = account_links.c.resident_id.is_not(None).label("linked")
        query = (
            select(
                meters,
                accounts.c.number,
                accounts.c.holder,
                accounts.c.address,
                accounts.c.district,
                suppliers.c.code,
                suppliers.c.name,
                suppliers.c.timezone,
                suppliers.c.window_rule,
                suppliers.c.account_pattern,
                linked,
            )
            .join(accounts, accounts.c.id == meters.c.account_id)
            .join(suppliers, suppliers.c.id == meters.c.supplier_id)
            .outerjoin(
                account_links,
                and_(
                    account_links.c.account_id == accounts.c.id,
                    account_links.c.resident_id == (resident_id or -1),
                ),
            )
            .where(meters.c.id.in_(meter_ids))
            .order_by(meters.c.id)
        )
        if lock:
            query = query.with_for_update(of=meters)
        result = []
        for row in await self._conn.execute(query):
            meter = meter_of(row)
            account = Account(
                row.account_id, row.supplier_id, row.number, row.holder, row.address, row.district
            )
            supplier = supplier_of(
                row.supplier_id,
                row.code,
                row.name,
                row.timezone,
                row.window_rule,
                row.account_pattern,
            )
            result.append(MeterContext(meter, account, supplier, bool(row.linked)))
        return result

    async def of_accounts(self, account_ids: Sequence[int]) -> list[Meter]:
        query = select(meters).where(meters.c.account_id.in_(account_ids)).order_by(meters.c.id)
        return [meter_of(r) for r in await self._conn.execute(query)]

    async def by_serials(self, supplier_id: int, serials: Sequence[str]) -> list[Meter]:
        query = select(meters).where(
            meters.c.supplier_id == supplier_id, meters.c.serial.in_(serials)
        )
        return [meter_of(r) for r in await self._conn.execute(query.order_by(meters.c.id))]


_READING_COLUMNS = (
    readings.c.id,
    readings.c.meter_id,
    readings.c.register,
    readings.c.period,
    readings.c.value_milli,
    readings.c.submitted_at,
    readings.c.channel,
    readings.c.status,
    readings.c.receipt,
    readings.c.submission_id,
)


class SqlReadingRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def recent(
        self, meter_ids: Sequence[int], since: BillingPeriod
    ) -> dict[tuple[int, str], list[Reading]]:
        query = (
            select(*_READING_COLUMNS)
            .where(readings.c.meter_id.in_(meter_ids), readings.c.period >= since.index)
            .order_by(readings.c.meter_id, readings.c.register, readings.c.period, readings.c.id)
        )
        found: dict[tuple[int, str], list[Reading]] = {}
        for row in await self._conn.execute(query):
            found.setdefault((row.meter_id, row.register), []).append(reading_of(row))
        return found

    async def add(self, new: Sequence[Reading]) -> None:
        rows = [
            {
                "meter_id": r.meter_id,
                "register": r.register,
                "period": r.period.index,
                "value_milli": to_milli(r.value),
                "submitted_at": r.submitted_at,
                "channel": r.channel.value,
                "status": r.status.value,
                "receipt": r.receipt or None,
                "submission_id": r.submission_id,
            }
            for r in new
        ]
        await self._conn.execute(insert(readings), rows)

    async def supersede(self, reading_ids: Sequence[int]) -> None:
        stmt = update(readings).where(readings.c.id.in_(reading_ids))
        await self._conn.execute(stmt.values(status=ReadingStatus.SUPERSEDED.value))

    async def of_submission(self, submission_id: int) -> list[Reading]:
        query = select(*_READING_COLUMNS).where(readings.c.submission_id == submission_id)
        return [reading_of(r) for r in await self._conn.execute(query.order_by(readings.c.id))]

    async def by_receipt(self, receipt: str) -> Reading | None:
        query = select(*_READING_COLUMNS).where(readings.c.receipt == receipt)
        row = (await self._conn.execute(query)).first()
        return reading_of(row) if row else None

    async def history(self, meter_id: int, since: BillingPeriod) -> list[Reading]:
        query = (
            select(*_READING_COLUMNS)
            .where(readings.c.meter_id == meter_id, readings.c.period >= since.index)
            .order_by(readings.c.period, readings.c.id)
        )
        return [reading_of(r) for r in await self._conn.execute(query)]


class SqlSubmissionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def claim(
        self, actor: Actor, client_key: str | None, fingerprint: str, at: datetime
    ) -> Claim:
        values = {
            "actor_key": actor.key,
            "client_key": client_key,
            "fingerprint": fingerprint,
            "channel": actor.channel.value,
            "created_at": at,
        }
        stmt = dialect_insert(self._conn, submissions).values(values)
        if client_key is not None:
            stmt = stmt.on_conflict_do_nothing(index_elements=["actor_key", "client_key"])
        new_id = (await self._conn.execute(stmt.returning(submissions.c.id))).scalar()
        if new_id is not None:
            return Claim(new_id, True, fingerprint, at)
        query = select(submissions.c.id, submissions.c.fingerprint, submissions.c.created_at).where(
            submissions.c.actor_key == actor.key, submissions.c.client_key == client_key
        )
        row = (await self._conn.execute(query)).one()
        return Claim(row.id, False, row.fingerprint, row.created_at)


class SqlAuditLog:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(
        self, actor: Actor, action: str, subject: str, details: Mapping[str, object], at: datetime
    ) -> None:
        values = {
            "at": at,
            "actor_kind": actor.kind.value,
            "actor_id": actor.id,
            "on_behalf_of": actor.on_behalf_of,
            "channel": actor.channel.value,
            "action": action,
            "subject": subject,
            "details": json.dumps(details, ensure_ascii=False, default=str),
            "note": actor.note,
        }
        await self._conn.execute(insert(audit_log).values(values))


class SqlLinkAttemptRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

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


class SqlResidentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, name: str, at: datetime) -> int:
        stmt = insert(residents).values(name=name, created_at=at).returning(residents.c.id)
        return int((await self._conn.execute(stmt)).scalar_one())

    async def exists(self, resident_id: int) -> bool:
        query = select(residents.c.id).where(residents.c.id == resident_id)
        return (await self._conn.execute(query)).first() is not None


class SqlTokenRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

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


def as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
