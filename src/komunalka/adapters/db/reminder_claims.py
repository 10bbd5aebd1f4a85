"""Reading reminders back: a claimed batch with its recipients, and the meters a reminder
speaks of (the resident's linked, active meters with their suppliers and last readings)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select

from komunalka.adapters.db.tables import (
    account_links,
    accounts,
    meters,
    readings,
    reminder_rules,
    reminders,
    residents,
    suppliers,
)
from komunalka.application.notifications.ports import ClaimedReminder, LinkedMeter, Recipient
from komunalka.domain.reminders import RuleKind


def claimed_query(ids: Sequence[int]) -> Select[Any]:
    """The claimed reminders, earliest first, with their rule's kind and the resident's name."""
    t = reminders
    return (
        select(t, reminder_rules.c.kind, residents.c.name)
        .join(reminder_rules, reminder_rules.c.id == t.c.rule_id)
        .join(residents, residents.c.id == t.c.resident_id)
        .where(t.c.id.in_(ids))
        .order_by(t.c.send_at, t.c.id)
    )


def claimed_reminder(row: Any) -> ClaimedReminder:
    recipient = Recipient(row.resident_id, row.name, row.channel, row.address, row.language)
    return ClaimedReminder(
        row.id,
        row.rule_id,
        RuleKind(row.kind),
        row.supplier_id,
        row.period,
        recipient,
        row.attempts,
    )


def linked_query(resident_id: int) -> Select[Any]:
    """Every active meter on the accounts the resident linked, by supplier, account and serial."""
    last_read = (
        select(func.max(readings.c.period))
        .where(readings.c.meter_id == meters.c.id, readings.c.status == "accepted")
        .scalar_subquery()
    )
    return (
        select(
            suppliers.c.id.label("supplier_id"),
            suppliers.c.name.label("supplier_name"),
            suppliers.c.window_rule,
            suppliers.c.timezone,
            accounts.c.number.label("account_number"),
            meters.c.service,
            meters.c.serial,
            meters.c.water_heater,
            meters.c.verification_due,
            last_read.label("last_read_period"),
        )
        .select_from(
            account_links.join(accounts, accounts.c.id == account_links.c.account_id)
            .join(meters, meters.c.account_id == accounts.c.id)
            .join(suppliers, suppliers.c.id == accounts.c.supplier_id)
        )
        .where(account_links.c.resident_id == resident_id, meters.c.status == "active")
        .order_by(suppliers.c.id, accounts.c.number, meters.c.serial)
    )


def linked_meter_of(row: Any) -> LinkedMeter:
    return LinkedMeter(
        row.supplier_id,
        row.supplier_name,
        row.window_rule,
        row.timezone,
        row.account_number,
        row.service,
        row.serial,
        bool(row.water_heater),
        row.verification_due,
        row.last_read_period,
    )
