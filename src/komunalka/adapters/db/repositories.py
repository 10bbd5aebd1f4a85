"""Repositories of suppliers, accounts, meters and tariffs, on SQLAlchemy Core: one statement
per call, no ORM on the hot path. Residents, their identities and tokens: residents.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, delete, insert, select, update

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
    meters,
    suppliers,
    tariffs,
)
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
