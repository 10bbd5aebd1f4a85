"""Leak and anomaly notices (ADR 0025): written with the reading that raised them (AlertQueue),
claimed with a lease and sent by the worker (AlertBook), confirmed by the resident. SQLAlchemy
Core on both databases; the claim takes its rows FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite
has one writer at a time)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update

from komunalka.adapters.db import reminder_audience as aud
from komunalka.adapters.db.rows import dialect_insert
from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import (
    accounts,
    consumption_alerts,
    identities,
    meters,
    readings,
    resident_profiles,
    residents,
)
from komunalka.application.notifications.alerts import (
    CONFIRMED,
    SENDING,
    UNKNOWN,
    WAITING,
    WITHDRAWN,
    AlertClaim,
    ClaimedAlert,
    ResidentAlert,
)
from komunalka.application.notifications.ports import Recipient
from komunalka.application.readings.ports import NewAlert
from komunalka.domain.values import from_milli, to_milli

MESSENGERS = ("telegram", "viber")
a = consumption_alerts


class SqlAlertBook(InScope):
    async def add(self, alerts: Sequence[NewAlert]) -> None:
        for alert in alerts:
            unusual = alert.unusual
            figures = {
                "receipt": alert.receipt,
                "code": unusual.code,
                "used_milli": _milli(unusual.used),
                "usual_milli": None if unusual.usual is None else _milli(unusual.usual),
                "months": unusual.months,
                "cap_milli": _milli(unusual.cap),
                "via": alert.via,
            }
            stmt = dialect_insert(self._conn, a).values(
                meter_id=alert.meter_id,
                period=alert.period.index,
                resident_id=alert.resident_id,
                created_at=alert.at,
                **figures,
            )
            # A later reading of the period speaks for a notice not sent yet; one that went,
            # or was confirmed, is not said again.
            stmt = stmt.on_conflict_do_update(
                index_elements=["meter_id", "period", "resident_id"],
                set_={**figures, "state": WAITING, "created_at": alert.at},
                where=a.c.state.in_((WAITING, WITHDRAWN)),
            )
            await self._conn.execute(stmt)

    async def claim(self, worker: str, limit: int, now: datetime, lease: timedelta) -> AlertClaim:
        lapsed = and_(a.c.state == SENDING, a.c.lease_until <= now)
        unknown = await self._conn.execute(
            update(a).where(lapsed).values(state=UNKNOWN, claimed_by=None, finished_at=now)
        )
        free = or_(a.c.lease_until.is_(None), a.c.lease_until <= now)
        query = (
            select(a.c.id)
            .where(a.c.state == WAITING, free)
            .order_by(a.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list((await self._conn.execute(query)).scalars())
        if not ids:
            return AlertClaim([], unknown.rowcount)
        await self._conn.execute(
            update(a).where(a.c.id.in_(ids)).values(claimed_by=worker, lease_until=now + lease)
        )
        rows = (await self._conn.execute(_claimed(ids))).all()
        return AlertClaim([_claimed_alert(r) for r in rows], unknown.rowcount)

    async def begin_attempt(
        self, alert_id: int, worker: str, now: datetime, until: datetime
    ) -> bool:
        ours = and_(
            a.c.id == alert_id,
            a.c.state == WAITING,
            a.c.claimed_by == worker,
            a.c.lease_until > now,
        )
        done = await self._conn.execute(
            update(a)
            .where(ours)
            .values(state=SENDING, attempts=a.c.attempts + 1, lease_until=until)
        )
        return bool(done.rowcount == 1)

    async def finish(
        self, alert_id: int, state: str, at: datetime, channel: str = "", detail: str = ""
    ) -> None:
        # Only from waiting (withdrawn, nowhere to go) or from this attempt: a notice counted
        # unknown, or confirmed meanwhile, keeps its state.
        await self._conn.execute(
            update(a)
            .where(a.c.id == alert_id, a.c.state.in_((WAITING, SENDING)))
            .values(
                state=state,
                channel=channel,
                detail=detail[:2000],
                finished_at=at,
                claimed_by=None,
                lease_until=None,
            )
        )

    async def retry(self, alert_id: int, at: datetime, detail: str) -> None:
        await self._conn.execute(
            update(a)
            .where(a.c.id == alert_id, a.c.state == SENDING)
            .values(state=WAITING, claimed_by=None, lease_until=at, detail=detail[:2000])
        )

    async def confirm(self, alert_id: int, at: datetime, resident_id: int | None = None) -> bool:
        which = [a.c.id == alert_id]
        if resident_id is not None:
            which.append(a.c.resident_id == resident_id)
        found = (await self._conn.execute(select(a.c.state).where(*which))).first()
        if found is None:
            return False
        await self._conn.execute(
            update(a).where(*which, a.c.confirmed_at.is_(None)).values(confirmed_at=at)
        )
        # Not sent yet (or put back to wait): it is not sent now. One being sent goes its way.
        await self._conn.execute(
            update(a)
            .where(*which, a.c.state.in_((WAITING, WITHDRAWN)))
            .values(state=CONFIRMED, finished_at=at, claimed_by=None, lease_until=None)
        )
        return True

    async def of_resident(self, resident_id: int, limit: int) -> list[ResidentAlert]:
        query = (
            select(a, meters.c.service, meters.c.serial)
            .join(meters, meters.c.id == a.c.meter_id)
            .where(a.c.resident_id == resident_id)
            .order_by(a.c.created_at.desc(), a.c.id.desc())
            .limit(limit)
        )
        return [
            ResidentAlert(
                r.id,
                r.period,
                r.code,
                from_milli(r.used_milli),
                None if r.usual_milli is None else from_milli(r.usual_milli),
                r.service,
                r.serial,
                r.state,
                r.created_at,
                r.confirmed_at,
            )
            for r in (await self._conn.execute(query)).all()
        ]


def _milli(value: Decimal) -> int:
    """Thousandths, rounded: a month's use spread over skipped months has more decimals."""
    return to_milli(value.quantize(Decimal("0.001"), ROUND_HALF_UP))


def _claimed(ids: list[int]) -> Any:
    """The claimed notices with their meter, account, the resident's reminder channel (with
    consent) and, failing that, their identity on the messenger the reading came by."""
    rcp = aud.recipients(named=False)
    messenger = identities.alias("via_identity")
    fallback = (
        select(func.min(messenger.c.external_id))
        .where(
            messenger.c.resident_id == a.c.resident_id,
            messenger.c.channel == a.c.via,
            messenger.c.channel.in_(MESSENGERS),
            messenger.c.unreachable_at.is_(None),
        )
        .scalar_subquery()
    )
    fallback_language = (
        select(func.min(identities.c.language))
        .where(identities.c.resident_id == a.c.resident_id, identities.c.channel == a.c.via)
        .scalar_subquery()
    )
    current = exists().where(readings.c.receipt == a.c.receipt, readings.c.status == "accepted")
    return (
        select(
            a,
            meters.c.service,
            meters.c.serial,
            accounts.c.number.label("account_number"),
            residents.c.name,
            rcp.c.channel.label("to_channel"),
            rcp.c.address.label("to_address"),
            rcp.c.language.label("to_language"),
            resident_profiles.c.language.label("profile_language"),
            fallback.label("via_address"),
            fallback_language.label("via_language"),
            current.label("current"),
        )
        .join(meters, meters.c.id == a.c.meter_id)
        .join(accounts, accounts.c.id == meters.c.account_id)
        .join(residents, residents.c.id == a.c.resident_id)
        .outerjoin(rcp, rcp.c.resident_id == a.c.resident_id)
        .outerjoin(resident_profiles, resident_profiles.c.resident_id == a.c.resident_id)
        .where(a.c.id.in_(ids))
        .order_by(a.c.id)
    )


def _claimed_alert(r: Any) -> ClaimedAlert:
    recipient = None
    if r.to_address:
        recipient = Recipient(r.resident_id, r.name, r.to_channel, r.to_address, r.to_language)
    elif r.via_address:
        language = r.profile_language or r.via_language or "uk"
        recipient = Recipient(r.resident_id, r.name, r.via, r.via_address, language)
    return ClaimedAlert(
        r.id,
        r.period,
        r.code,
        from_milli(r.used_milli),
        None if r.usual_milli is None else from_milli(r.usual_milli),
        r.months,
        from_milli(r.cap_milli),
        r.service,
        r.serial,
        r.account_number,
        recipient,
        bool(r.current),
        r.attempts,
    )
