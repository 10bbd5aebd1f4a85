"""Receipts' records as the database holds them (docs/adr/0023-signed-receipts.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import accounts, meters, readings, suppliers
from komunalka.application.readings.receipt_ports import HeldReceipt
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import ReadingStatus
from komunalka.domain.receipts import ReceiptRecord
from komunalka.domain.values import from_milli


class SqlReceiptRecords(InScope):
    async def by_receipts(self, receipts: Sequence[str]) -> list[HeldReceipt]:
        if not receipts:
            return []
        query = (
            select(
                readings.c.receipt,
                readings.c.register,
                readings.c.period,
                readings.c.value_milli,
                readings.c.submitted_at,
                readings.c.channel,
                readings.c.status,
                readings.c.meter_id,
                meters.c.serial,
                meters.c.decimals,
                meters.c.account_id,
                accounts.c.number,
                suppliers.c.code,
                suppliers.c.name,
            )
            .join(meters, meters.c.id == readings.c.meter_id)
            .join(accounts, accounts.c.id == meters.c.account_id)
            .join(suppliers, suppliers.c.id == accounts.c.supplier_id)
            .where(readings.c.receipt.in_(list(receipts)))
        )
        return [_held(row) for row in await self._conn.execute(query)]


def _held(row: Any) -> HeldReceipt:
    record = ReceiptRecord(
        receipt=row.receipt,
        supplier=row.code,
        account=row.number,
        meter=row.serial,
        period=BillingPeriod.from_index(row.period),
        register=row.register,
        value=from_milli(row.value_milli),
        decimals=row.decimals,
        submitted_at=row.submitted_at,
        channel=row.channel,
    )
    return HeldReceipt(record, ReadingStatus(row.status), row.name, row.account_id, row.meter_id)
