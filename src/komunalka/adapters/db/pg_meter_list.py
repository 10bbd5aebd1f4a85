"""A resident's meter list on PostgreSQL: their accounts, the suppliers, the accounts' meters and
the suppliers' tariffs as fixed SQL on the asyncpg connection (see postgres.py for why).

ListMyMeters runs these on every sending round's summary in a messenger (the bill estimate) and
on every page that shows the meters; each does exactly what its SQLAlchemy Core version in
repositories.py does, and the same tests run against both.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from komunalka.adapters.db.repositories import (
    PRICE_SCALE,
    SqlAccountRepository,
    SqlSupplierRepository,
    SqlTariffRepository,
)
from komunalka.adapters.db.rows import supplier_of
from komunalka.domain.meters import Account, Meter, MeterStatus, Supplier
from komunalka.domain.services import Service
from komunalka.domain.tariffs import Tariff

_SUPPLIERS = """
    SELECT id, code, name, timezone, window_rule, account_pattern FROM suppliers ORDER BY id
"""
_LINKED_ACCOUNTS = """
    SELECT a.id, a.supplier_id, a.number, a.holder, a.address, a.district
    FROM accounts a JOIN account_links l ON l.account_id = a.id
    WHERE l.resident_id = $1
    ORDER BY a.supplier_id, a.number
"""
_METERS = """
    SELECT id, account_id, service, serial, registers, digits, decimals, verification_due,
           status, water_heater
    FROM meters WHERE {where} ORDER BY id
"""
# One account is the common case: `= $1` is planned once per connection (see postgres.py).
_METERS_ONE = _METERS.format(where="account_id = $1")
_METERS_MANY = _METERS.format(where="account_id = ANY($1::bigint[])")
_TARIFFS = """
    SELECT supplier_id, service, price_e4, effective_from, zone, demo
    FROM tariffs WHERE supplier_id = $1 ORDER BY effective_from
"""


class PgSupplierRepository(SqlSupplierRepository):
    async def all(self) -> list[Supplier]:
        return [supplier_of(*r) for r in await self._raw.fetch(_SUPPLIERS)]


class PgAccountRepository(SqlAccountRepository):
    async def linked_to(self, resident_id: int) -> list[Account]:
        return [Account(*r) for r in await self._raw.fetch(_LINKED_ACCOUNTS, resident_id)]


def meter_of_record(r: Any) -> Meter:
    return Meter(
        r[0],
        r[1],
        Service(r[2]),
        r[3],
        tuple(r[4].split("|")),
        r[5],
        r[6],
        r[7],
        MeterStatus(r[8]),
        r[9],
    )


async def meters_of_accounts(raw: Any, account_ids: Sequence[int]) -> list[Meter]:
    if not account_ids:
        return []
    if len(account_ids) == 1:
        rows = await raw.fetch(_METERS_ONE, account_ids[0])
    else:
        rows = await raw.fetch(_METERS_MANY, list(account_ids))
    return [meter_of_record(r) for r in rows]


class PgTariffRepository(SqlTariffRepository):
    async def of_supplier(self, supplier_id: int) -> list[Tariff]:
        return [
            Tariff(r[0], Service(r[1]), Decimal(r[2]) / PRICE_SCALE, r[3], r[4], r[5])
            for r in await self._raw.fetch(_TARIFFS, supplier_id)
        ]
