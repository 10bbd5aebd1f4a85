"""Whom a reminder rule reaches, as SQL: the recipients (consent, a channel, an address) and
what is due of them. `plan_due` and `plan_verification` insert from these selects in one
statement each; `audience` counts them. Both databases run the same Core; only the month of a
date is spelled per dialect (`due_month`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    literal,
    select,
)
from sqlalchemy.sql.elements import KeyedColumnElement

from komunalka.adapters.db.tables import (
    account_links,
    identities,
    meters,
    readings,
    resident_profiles,
    residents,
)
from komunalka.domain.reminders import SendSpan

REMINDER_CHANNELS = ("email", "sms", "telegram", "viber")
CONTACT_CHANNELS = ("email", "sms")  # the address is the profile's contact
# Knuth's multiplicative hash, as SendSpan.moment computes it (domain/reminders.py).
GOLDEN = 2654435761
WORD = 4294967296


def recipients(*, named: bool = False) -> Any:
    """Residents who may be reminded, one row each: resident_id, channel, address, language
    (and name). A messenger's address is the resident's identity on it that was not reported
    unreachable (the least one, if there are several)."""
    p = resident_profiles
    messenger = (
        select(func.min(identities.c.external_id))
        .where(
            identities.c.resident_id == p.c.resident_id,
            identities.c.channel == p.c.reminder_channel,
            identities.c.unreachable_at.is_(None),
        )
        .scalar_subquery()
    )
    address = case((p.c.reminder_channel.in_(CONTACT_CHANNELS), p.c.contact), else_=messenger)
    columns: list[Any] = [
        p.c.resident_id,
        p.c.reminder_channel.label("channel"),
        address.label("address"),
        p.c.language,
    ]
    query = select(*columns).where(
        p.c.reminder_consent_at.is_not(None), p.c.reminder_channel.in_(REMINDER_CHANNELS)
    )
    if named:
        query = query.add_columns(residents.c.name).join(
            residents, residents.c.id == p.c.resident_id
        )
    return query.subquery("recipients")


def reachable(rcp: Any) -> ColumnElement[bool]:
    return and_(rcp.c.address.is_not(None), rcp.c.address != "")


def _linked_meter(resident_id: Any, supplier_id: int) -> Select[Any]:
    """The resident's active meters of the supplier, on the accounts they linked."""
    return (
        select(literal(1))
        .select_from(account_links.join(meters, meters.c.account_id == account_links.c.account_id))
        .where(
            account_links.c.resident_id == resident_id,
            meters.c.supplier_id == supplier_id,
            meters.c.status == "active",
        )
    )


def owes_reading(resident_id: Any, supplier_id: int, period: int) -> ColumnElement[bool]:
    """The resident linked an account of the supplier with an active meter that has no
    accepted reading for `period`."""
    read = exists().where(
        readings.c.meter_id == meters.c.id,
        readings.c.period == period,
        readings.c.status == "accepted",
    )
    return exists(_linked_meter(resident_id, supplier_id).where(~read))


def send_at(resident_id: KeyedColumnElement[Any], span: SendSpan) -> ColumnElement[int]:
    """SendSpan.moment(resident_id) in SQL; resident ids stay below 2**33, so the product fits
    in 64 bits."""
    spread = (cast(resident_id, BigInteger) * literal(GOLDEN, BigInteger)) % literal(
        WORD, BigInteger
    )
    return literal(span.start, BigInteger) + spread % literal(max(span.seconds, 1), BigInteger)


def due_audience(supplier_id: int, period: int, *, named: bool = False) -> Select[Any]:
    rcp = recipients(named=named)
    return (
        select(rcp)
        .where(reachable(rcp), owes_reading(rcp.c.resident_id, supplier_id, period))
        .order_by(rcp.c.resident_id)
    )


def verification_audience(
    supplier_id: int, due_from: date, due_to: date, month: Any, *, named: bool = False
) -> Select[Any]:
    """One row per recipient and month a meter of theirs falls due for verification in
    [due_from, due_to]; `month` spells the month index of `meters.verification_due`."""
    rcp = recipients(named=named)
    due = (
        select(account_links.c.resident_id, month.label("period"))
        .select_from(account_links.join(meters, meters.c.account_id == account_links.c.account_id))
        .where(
            meters.c.supplier_id == supplier_id,
            meters.c.status == "active",
            meters.c.verification_due.between(due_from, due_to),
        )
        .distinct()
        .subquery("due")
    )
    return (
        select(rcp, due.c.period)
        .join(due, due.c.resident_id == rcp.c.resident_id)
        .where(reachable(rcp))
        .order_by(rcp.c.resident_id, due.c.period)
    )


def sqlite_month(column: Any) -> ColumnElement[int]:
    """year * 12 + month - 1 of an ISO date string (SQLite keeps dates as text)."""
    year = cast(func.substr(column, 1, 4), Integer)
    return year * 12 + cast(func.substr(column, 6, 2), Integer) - 1


def pg_month(column: Any) -> ColumnElement[int]:
    year = cast(extract("year", column), Integer)
    return year * 12 + cast(extract("month", column), Integer) - 1
