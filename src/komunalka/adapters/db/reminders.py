"""The reminders' repositories (application/notifications/ports.py): the rules staff changed,
and the reminders themselves, planned by one INSERT ... SELECT per rule and claimed with a
lease by any number of workers (the outbox's pattern, ADR 0012).

Claiming locks the rows it takes: `FOR UPDATE SKIP LOCKED` on PostgreSQL (only the reminders,
never the rule rows joined to them), so concurrent claimers pass each other's rows by; on
SQLite the caller's write transaction (BEGIN IMMEDIATE) serializes claimers and the clause is
left out. Uniqueness per (resident, rule, period) is the table's (uq_reminders_once): planning
twice, or two workers planning at once, adds nothing the second time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, func, literal, or_, select, update

from komunalka.adapters.db import reminder_audience as aud
from komunalka.adapters.db.reminder_claims import (
    claimed_query,
    claimed_reminder,
    linked_meter_of,
    linked_query,
)
from komunalka.adapters.db.rows import dialect_insert
from komunalka.adapters.db.scope import InScope
from komunalka.adapters.db.tables import (
    identities,
    meters,
    reminder_plans,
    reminder_rules,
    reminders,
)
from komunalka.application.notifications.ports import (
    CANCELLED,
    MERGED,
    PLANNED,
    SENDING,
    UNKNOWN,
    UNREACHABLE,
    Audience,
    LinkedMeter,
    Recipient,
    ReminderClaim,
)
from komunalka.domain.reminders import ReminderRule, RuleKind, SendSpan, epoch

# Reminders of these kinds list the same due meters, so one message covers them all.
WINDOW_KINDS = [k.value for k in RuleKind if not k.about_verification]

_PLANNED_COLUMNS = (
    "rule_id",
    "supplier_id",
    "period",
    "resident_id",
    "channel",
    "address",
    "language",
    "send_at",
    "state",
)


class SqlReminderRules(InScope):
    """ReminderRules: one row per supplier and kind, upserted (two workers saving the same
    default at once both get its one id)."""

    async def stored(self, supplier_id: int) -> list[ReminderRule]:
        t = reminder_rules
        query = select(t).where(t.c.supplier_id == supplier_id).order_by(t.c.id)
        rows = (await self._conn.execute(query)).all()
        return [
            ReminderRule(r.supplier_id, RuleKind(r.kind), r.days, r.enabled, r.paused, r.id)
            for r in rows
        ]

    async def save(self, rule: ReminderRule) -> ReminderRule:
        t = reminder_rules
        values = {"days": rule.days, "enabled": rule.enabled, "paused": rule.paused}
        stmt = dialect_insert(self._conn, t).values(
            supplier_id=rule.supplier_id, kind=rule.kind.value, **values
        )
        stmt = stmt.on_conflict_do_update(index_elements=["supplier_id", "kind"], set_=values)
        rule_id = (await self._conn.execute(stmt.returning(t.c.id))).scalar_one()
        return rule.with_id(int(rule_id))


class SqlReminderBook(InScope):
    """ReminderBook on SQLAlchemy Core, for SQLite; PgReminderBook spells the month of a date
    for PostgreSQL. Planning is set-based: the database computes every resident's moment
    (`SendSpan.moment` in SQL), so memory stays flat however many residents are due."""

    def _month(self, column: Any) -> Any:
        return aud.sqlite_month(column)

    async def begin_plan(self, rule_id: int, run: str, at: datetime) -> bool:
        stmt = dialect_insert(self._conn, reminder_plans).values(
            rule_id=rule_id, run=run, planned_at=at
        )
        done = await self._conn.execute(stmt.on_conflict_do_nothing())
        return bool(done.rowcount == 1)

    async def finish_plan(self, rule_id: int, run: str, planned: int) -> None:
        await self._conn.execute(
            update(reminder_plans)
            .where(reminder_plans.c.rule_id == rule_id, reminder_plans.c.run == run)
            .values(planned=planned)
        )

    async def _plan(self, rule_id: int, supplier_id: int, audience: Any, span: SendSpan) -> int:
        rcp = audience.order_by(None).subquery("audience")
        source = select(
            literal(rule_id, Integer),
            literal(supplier_id, Integer),
            rcp.c.period,
            rcp.c.resident_id,
            rcp.c.channel,
            rcp.c.address,
            rcp.c.language,
            aud.send_at(rcp.c.resident_id, span),
            literal(PLANNED),
        ).where(rcp.c.resident_id.is_not(None))  # SQLite's upsert wants the SELECT's WHERE
        stmt = dialect_insert(self._conn, reminders).from_select(_PLANNED_COLUMNS, source)
        stmt = stmt.on_conflict_do_nothing(index_elements=["resident_id", "rule_id", "period"])
        return int((await self._conn.execute(stmt)).rowcount)

    async def plan_due(self, rule_id: int, supplier_id: int, period: int, span: SendSpan) -> int:
        audience = aud.due_audience(supplier_id, period).add_columns(
            literal(period, Integer).label("period")
        )
        return await self._plan(rule_id, supplier_id, audience, span)

    async def plan_verification(
        self, rule_id: int, supplier_id: int, due_from: date, due_to: date, span: SendSpan
    ) -> int:
        month = self._month(meters.c.verification_due)
        audience = aud.verification_audience(supplier_id, due_from, due_to, month)
        return await self._plan(rule_id, supplier_id, audience, span)

    async def _audience(self, query: Any, limit: int) -> Audience:
        count = select(func.count()).select_from(query.order_by(None).subquery())
        total = (await self._conn.execute(count)).scalar_one()
        rows = (await self._conn.execute(query.limit(limit))).all()
        sample = [Recipient(r.resident_id, r.name, r.channel, r.address, r.language) for r in rows]
        return Audience(int(total), sample)

    async def audience(self, supplier_id: int, period: int, limit: int) -> Audience:
        return await self._audience(aud.due_audience(supplier_id, period, named=True), limit)

    async def verification_audience(
        self, supplier_id: int, due_from: date, due_to: date, limit: int
    ) -> Audience:
        month = self._month(meters.c.verification_due)
        query = aud.verification_audience(supplier_id, due_from, due_to, month, named=True)
        return await self._audience(query, limit)

    async def claim(
        self, worker: str, limit: int, now: datetime, lease: timedelta
    ) -> ReminderClaim:
        t, moment = reminders, epoch(now)
        # A row being sent was due when claimed: `send_at <= now` only lets the claim index
        # (ix_reminders_claim) find the lapsed attempts among the due rows.
        lapsed = and_(t.c.state == SENDING, t.c.lease_until <= now, t.c.send_at <= moment)
        unknown = await self._conn.execute(
            update(t).where(lapsed).values(state=UNKNOWN, claimed_by=None)
        )
        free = or_(t.c.lease_until.is_(None), t.c.lease_until <= now)
        query = (
            select(t.c.id)
            .join(reminder_rules, reminder_rules.c.id == t.c.rule_id)
            .where(t.c.state == PLANNED, t.c.send_at <= moment, free)
            .where(reminder_rules.c.paused.is_(False))
            .order_by(t.c.send_at, t.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=t)
        )
        ids = list((await self._conn.execute(query)).scalars())
        if not ids:
            return ReminderClaim([], unknown.rowcount)
        await self._conn.execute(
            update(t).where(t.c.id.in_(ids)).values(claimed_by=worker, lease_until=now + lease)
        )
        rows = (await self._conn.execute(claimed_query(ids))).all()
        return ReminderClaim([claimed_reminder(r) for r in rows], unknown.rowcount)

    async def begin_attempt(
        self, reminder_id: int, worker: str, now: datetime, until: datetime
    ) -> bool:
        t = reminders
        ours = and_(
            t.c.id == reminder_id,
            t.c.state == PLANNED,
            t.c.claimed_by == worker,
            t.c.lease_until > now,
        )
        done = await self._conn.execute(
            update(t).where(ours).values(state=SENDING, lease_until=until)
        )
        return bool(done.rowcount == 1)

    async def finish(
        self,
        reminder_id: int,
        state: str,
        at: datetime,
        detail: str = "",
        billing_status: int | None = None,
    ) -> None:
        if state in (PLANNED, SENDING):
            raise ValueError(f"{state!r} is not an outcome")
        values = {"state": state, "finished_at": at, "detail": detail}
        values |= {"billing_status": billing_status, "claimed_by": None, "lease_until": None}
        await self._conn.execute(
            update(reminders).where(reminders.c.id == reminder_id).values(**values)
        )

    async def retry(self, reminder_id: int, at: datetime, detail: str) -> None:
        t = reminders
        # Only a reminder still in hand: one counted unknown (or finished) meanwhile stays so.
        await self._conn.execute(
            update(t)
            .where(t.c.id == reminder_id, t.c.state.in_((PLANNED, SENDING)))
            .values(state=PLANNED, send_at=epoch(at), attempts=t.c.attempts + 1)
            .values(claimed_by=None, lease_until=None, detail=detail)
        )

    async def merge_into(self, reminder_id: int, resident_id: int, until: datetime) -> int:
        t, rules = reminders, reminder_rules
        # The rows to merge are locked first, skipping any another worker's transaction holds
        # (its own send of that reminder, under way): waiting on it while it waits on one of
        # ours was a deadlock when two workers recorded outcomes at once (bench/month.py).
        # A skipped reminder goes its own way, as if it had not been due yet.
        mergeable = (
            select(t.c.id)
            .where(t.c.resident_id == resident_id, t.c.state == PLANNED)
            .where(t.c.id != reminder_id, t.c.send_at < epoch(until))
            .where(t.c.rule_id.in_(select(rules.c.id).where(rules.c.kind.in_(WINDOW_KINDS))))
            .order_by(t.c.id)
            .with_for_update(skip_locked=True, of=t)
        )
        ids = list((await self._conn.execute(mergeable)).scalars())
        if not ids:
            return 0
        merged = await self._conn.execute(
            update(t)
            .where(t.c.id.in_(ids), t.c.state == PLANNED)
            .values(state=MERGED, detail=f"with {reminder_id}", claimed_by=None)
        )
        return int(merged.rowcount)

    async def cancel(self, resident_id: int, at: datetime) -> int:
        t = reminders
        done = await self._conn.execute(
            update(t)
            .where(t.c.resident_id == resident_id, t.c.state == PLANNED)
            .values(state=CANCELLED, finished_at=at, claimed_by=None, lease_until=None)
        )
        return int(done.rowcount)

    async def counts(self, supplier_id: int, period: int) -> dict[int, dict[str, int]]:
        t = reminders
        query = (
            select(t.c.rule_id, t.c.state, func.count())
            .where(t.c.supplier_id == supplier_id, t.c.period == period)
            .group_by(t.c.rule_id, t.c.state)
        )
        found: dict[int, dict[str, int]] = {}
        for rule_id, state, count in await self._conn.execute(query):
            found.setdefault(rule_id, {})[state] = count
        return found

    async def linked_meters(self, resident_id: int) -> list[LinkedMeter]:
        rows = (await self._conn.execute(linked_query(resident_id))).all()
        return [linked_meter_of(r) for r in rows]

    async def mark_unreachable(self, channel: str, address: str, at: datetime) -> None:
        i, t = identities, reminders
        await self._conn.execute(
            update(i)
            .where(i.c.channel == channel, i.c.external_id == address)
            .values(unreachable_at=at)
        )
        # What was planned to that address cannot go; planning skips the identity from now on.
        owner = select(i.c.resident_id).where(i.c.channel == channel, i.c.external_id == address)
        await self._conn.execute(
            update(t)
            .where(t.c.state == PLANNED, t.c.channel == channel, t.c.address == address)
            .where(t.c.resident_id.in_(owner))
            .values(state=UNREACHABLE, finished_at=at, claimed_by=None, lease_until=None)
        )

    async def reachable_again(self, channel: str, address: str) -> None:
        i = identities
        await self._conn.execute(
            update(i)
            .where(i.c.channel == channel, i.c.external_id == address)
            .where(i.c.unreachable_at.is_not(None))
            .values(unreachable_at=None)
        )


class PgReminderBook(SqlReminderBook):
    """PostgreSQL keeps dates as dates: the month index is read with EXTRACT."""

    def _month(self, column: Any) -> Any:
        return aud.pg_month(column)
