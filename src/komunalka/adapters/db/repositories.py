"""Repositories of suppliers, accounts, meters, residents, tokens and link attempts, on
SQLAlchemy Core: one statement per call, no ORM on the hot path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, delete, func, insert, select, update

from komunalka.adapters.db.rows import (
    account_of,
    dialect_insert,
    meter_of,
    supplier_from_row,
    supplier_of,
)
from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import (
    account_links,
    accounts,
    api_tokens,
    identities,
    link_attempts,
    media,
    meters,
    residents,
    suppliers,
    tariffs,
)
from komunalka.application.accounts.ports import Attempts
from komunalka.application.identity.ports import Identity
from komunalka.application.shared.ports import MeterContext
from komunalka.domain.meters import Account, Meter, Supplier
from komunalka.domain.services import Service
from komunalka.domain.tariffs import Tariff


class SqlSupplierRepository(InScope):
    async def get(self, supplier_id: int) -> Supplier | None:
        row = (
            await self._conn.execute(select(suppliers).where(suppliers.c.id == supplier_id))
        ).first()
        return supplier_from_row(row) if row else None

    async def by_code(self, code: str) -> Supplier | None:
        row = (await self._conn.execute(select(suppliers).where(suppliers.c.code == code))).first()
        return supplier_from_row(row) if row else None

    async def all(self) -> list[Supplier]:
        rows = await self._conn.execute(select(suppliers).order_by(suppliers.c.id))
        return [supplier_from_row(r) for r in rows]

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


class SqlAccountRepository(InScope):
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

    async def unlink(self, resident_id: int, account_id: int) -> bool:
        stmt = delete(account_links).where(
            account_links.c.resident_id == resident_id, account_links.c.account_id == account_id
        )
        return bool((await self._conn.execute(stmt)).rowcount)


class SqlMeterRepository(InScope):
    async def contexts(
        self, meter_ids: Sequence[int], *, lock: bool, resident_id: int | None = None
    ) -> list[MeterContext]:
        return await self._contexts(meters.c.id.in_(meter_ids), resident_id, lock=lock)

    async def linked_contexts(self, resident_id: int) -> list[MeterContext]:
        mine = select(account_links.c.account_id).where(account_links.c.resident_id == resident_id)
        return await self._contexts(meters.c.account_id.in_(mine), resident_id, lock=False)

    async def _contexts(
        self, where: ColumnElement[bool], resident_id: int | None, *, lock: bool
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
            .where(where)
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
            result.append(
                MeterContext(meter, account, supplier, bool(row.linked), revision=row.revision)
            )
        return result

    async def of_accounts(self, account_ids: Sequence[int]) -> list[Meter]:
        query = select(meters).where(meters.c.account_id.in_(account_ids)).order_by(meters.c.id)
        return [meter_of(r) for r in await self._conn.execute(query)]

    async def by_serials(self, supplier_id: int, serials: Sequence[str]) -> list[Meter]:
        query = select(meters).where(
            meters.c.supplier_id == supplier_id, meters.c.serial.in_(serials)
        )
        return [meter_of(r) for r in await self._conn.execute(query.order_by(meters.c.id))]

    async def set_water_heater(self, meter_id: int, water_heater: bool) -> None:
        change = update(meters).where(meters.c.id == meter_id).values(water_heater=water_heater)
        await self._conn.execute(change)


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


PRICE_SCALE = Decimal(10000)


class SqlTariffRepository(InScope):
    async def of_supplier(self, supplier_id: int) -> list[Tariff]:
        query = select(tariffs).where(tariffs.c.supplier_id == supplier_id)
        return [
            Tariff(
                r.supplier_id,
                Service(r.service),
                Decimal(r.price_e4) / PRICE_SCALE,
                r.effective_from,
                r.zone,
                r.demo,
            )
            for r in await self._conn.execute(query.order_by(tariffs.c.effective_from))
        ]

    async def add(self, tariff: Tariff) -> None:
        values = {
            "supplier_id": tariff.supplier_id,
            "service": tariff.service.value,
            "zone": tariff.zone,
            "price_e4": int(tariff.price * PRICE_SCALE),
            "effective_from": tariff.effective_from,
            "demo": tariff.demo,
        }
        await self._conn.execute(insert(tariffs).values(values))


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
