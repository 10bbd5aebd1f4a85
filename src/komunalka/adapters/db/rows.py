"""Rows to domain objects, and the INSERT that knows each database's ON CONFLICT."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Row
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from komunalka.domain.meters import Account, Meter, MeterStatus, Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus
from komunalka.domain.services import Channel, Service
from komunalka.domain.values import from_milli
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


def supplier_from_row(row: Row[Any]) -> Supplier:
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
        water_heater=bool(row.water_heater),
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
        held_until=getattr(row, "release_at", None),
    )
