"""In-memory fakes of every port, for use-case tests: fast, no I/O, and they record what they
were given. A unit of work copies the state on entry and publishes it on commit, so a rollback
(leaving without commit) really leaves nothing behind."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Self
from zoneinfo import ZoneInfo

from komunalka.application.accounts.ports import (
    Attempts,
    Caretaking,
    LinkedResident,
    NoticeAddress,
)
from komunalka.application.identity.phones import PhoneCode, PhoneOwner
from komunalka.application.identity.ports import (
    Identity,
    ResidentProfile,
    WebLogin,
    WebSession,
)
from komunalka.application.notifications.alerts import AlertClaim, ClaimedAlert, ResidentAlert
from komunalka.application.notifications.ports import (
    CANCELLED,
    MERGED,
    PLANNED,
    SENDING,
    UNKNOWN,
    UNREACHABLE,
    Audience,
    ClaimedReminder,
    LinkedMeter,
    Recipient,
    ReminderClaim,
)
from komunalka.application.readings.photo_evidence import (
    DEFAULT_RETENTION_DAYS,
    NewPhoto,
    PhotoInfo,
)
from komunalka.application.readings.ports import (
    Claim,
    NewAlert,
    NewSubmission,
    SubmissionSnapshot,
)
from komunalka.application.readings.receipt_ports import HeldReceipt
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import (
    Arrival,
    ClaimedMessage,
    Conflict,
    MeterContext,
    OutboxClaim,
    OutgoingMessage,
    Received,
    StaffRecord,
    ZoneUse,
)
from komunalka.application.staff.ports import AccountScope, AuditEntry, SupplierRecord
from komunalka.application.suppliers.feed_ports import (
    FeedHead,
    FeedItem,
    PeriodDelivery,
    WebhookBatch,
)
from komunalka.application.suppliers.formats import readings_csv
from komunalka.application.suppliers.ports import (
    ExportRow,
    HourlyReadings,
    MergeCounts,
    NonSubmitter,
    PeriodCounts,
    PeriodFile,
    RegistryUpload,
    RejectedRow,
    Sink,
    StagedRow,
    SupplierToken,
)
from komunalka.application.suppliers.read_changes import write_items
from komunalka.application.suppliers.registry_staging import (
    ImportJob,
    ImportTakenOver,
)
from komunalka.domain.errors import Violation
from komunalka.domain.meters import Account, Meter, MeterStatus, Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus
from komunalka.domain.receipts import ReceiptRecord
from komunalka.domain.registry import RegistryRow
from komunalka.domain.reminders import ReminderRule, SendSpan, epoch
from komunalka.domain.services import Channel, Service
from komunalka.domain.staff import StaffMember
from komunalka.domain.tariffs import Tariff
from komunalka.domain.values import format_value, from_milli
from komunalka.domain.windows import WindowRule


class FakeClock:
    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


class FakeTicks:
    """A monotonic clock (`Ticks`) moved by hand: real time, apart from the business clock."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


class FakeRevocations:
    """TokenRevocations in memory; `readable=False` plays Redis being unreachable."""

    def __init__(self, readable: bool = True) -> None:
        self.bumps = 0
        self.readable = readable

    async def current(self) -> int | None:
        return self.bumps if self.readable else None

    async def bump(self) -> None:
        self.bumps += 1


class FakePauses:
    """A `Pause` that records the seconds it was asked to wait, and waits none."""

    def __init__(self) -> None:
        self.waited: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waited.append(seconds)


@dataclass
class State:
    suppliers: dict[int, Supplier] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    meters: dict[int, Meter] = field(default_factory=dict)
    readings: list[Reading] = field(default_factory=list)
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    linked_at: dict[tuple[int, int], datetime] = field(default_factory=dict)
    # Caretakings as [resident, caretaker, started_at, ended_at].
    caretakers: list[list[object]] = field(default_factory=list)
    attempts: list[tuple[int, int, str, bool, datetime]] = field(default_factory=list)
    residents: dict[int, str] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    submissions: dict[tuple[str, str | None], Claim] = field(default_factory=dict)
    revisions: dict[int, int] = field(default_factory=dict)
    # What the audit log was given, as (actor, action, subject, details) ...
    audit: list[tuple[Actor, str, str, dict[str, object]]] = field(default_factory=list)
    # ... and the entries as the audit trail reads them back.
    audit_log: list[AuditEntry] = field(default_factory=list)
    services: dict[int, tuple[str, ...]] = field(default_factory=dict)
    uploads: dict[int, RegistryUpload] = field(default_factory=dict)
    supplier_tokens: dict[int, tuple[SupplierToken, str]] = field(default_factory=dict)
    staged: list[StagedRow] = field(default_factory=list)
    tariffs: list[Tariff] = field(default_factory=list)
    identities: dict[tuple[str, str], Identity] = field(default_factory=dict)
    media: dict[str, tuple[bytes, str, datetime]] = field(default_factory=dict)
    # meter photos kept as evidence, by id: the photo and what was read; retention by supplier
    photos: dict[int, tuple[NewPhoto, int | None]] = field(default_factory=dict)
    photo_retention: dict[int, int] = field(default_factory=dict)
    web_logins: dict[str, WebLogin] = field(default_factory=dict)
    staff: dict[int, StaffRecord] = field(default_factory=dict)
    web_sessions: dict[str, WebSession] = field(default_factory=dict)
    sign_in_attempts: list[tuple[str, bool, datetime]] = field(default_factory=list)
    one_time_tokens: dict[str, tuple[str, int, datetime, datetime | None]] = field(
        default_factory=dict
    )
    outbox: dict[int, OutboxRow] = field(default_factory=dict)
    profiles: dict[int, ResidentProfile] = field(default_factory=dict)
    # Reminders: rules by id, plans by (rule id, run), reminders by id; identities reported
    # unreachable (their moment).
    reminder_rules: dict[int, ReminderRule] = field(default_factory=dict)
    reminder_plans: dict[tuple[int, str], datetime] = field(default_factory=dict)
    reminder_plan_counts: dict[tuple[int, str], int] = field(default_factory=dict)
    reminders: dict[int, ReminderRow] = field(default_factory=dict)
    unreachable: dict[tuple[str, str], datetime] = field(default_factory=dict)
    # Period files by (supplier, period) with their content; formats by supplier; supplier
    # events as (supplier, kind, period, payload, at).
    period_files: dict[tuple[int, BillingPeriod], tuple[PeriodFile, bytes]] = field(
        default_factory=dict
    )
    file_formats: dict[int, str] = field(default_factory=dict)
    supplier_events: list[tuple[int, str, BillingPeriod, dict[str, object], datetime]] = field(
        default_factory=list
    )
    # The suppliers' feeds (ADR 0017): items as written, heads, webhook messages.
    feed: list[FeedRow] = field(default_factory=list)
    feed_heads: dict[int, FeedHead] = field(default_factory=dict)
    webhook_batches: dict[int, WebhookBatch] = field(default_factory=dict)
    # each message's next_at, lease_until and claimed_by; how far each supplier's batches go
    webhook_due: dict[int, tuple[datetime, datetime | None, str | None]] = field(
        default_factory=dict
    )
    webhook_batched: dict[int, int] = field(default_factory=dict)
    # Leak and anomaly notices (ADR 0025) by id.
    alerts: dict[int, AlertRow] = field(default_factory=dict)
    # The SMS door (ADR 0026): linked numbers (phone -> (resident, at)), pending codes by
    # resident, inbound message ids answered.
    phone_links: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    phone_codes: dict[int, PhoneCode] = field(default_factory=dict)
    sms_inbound: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    next_id: int = 1

    def feed_reading(self, reading: Reading, replaces: int | None) -> None:
        supplier_id = self.supplier_of_meter(self.meters[reading.meter_id])
        assert reading.id is not None
        self.feed.append(FeedRow(supplier_id, reading.id, replaces, reading.period.index))

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def record(
        self, actor: Actor, action: str, subject: str, details: Mapping[str, object], at: datetime
    ) -> None:
        """An audit entry: kept as given, and as the database reads it back (details through
        JSON, as `SqlAuditLog` stores them)."""
        self.audit.append((actor, action, subject, dict(details)))
        stored = json.loads(json.dumps(details, ensure_ascii=False, default=str))
        entry = AuditEntry(
            self.new_id(),
            at.astimezone(UTC),
            actor.kind.value,
            actor.id,
            actor.channel.value,
            action,
            subject,
            stored if isinstance(stored, dict) else {},
            actor.note,
            actor.on_behalf_of,
            self.residents.get(actor.on_behalf_of or 0, ""),
        )
        self.audit_log.append(entry)

    def supplier_of_meter(self, meter: Meter) -> int:
        return self.accounts[meter.account_id].supplier_id


class _Repos:
    """An in-memory repository: bound to one state, or (made without one) to the state of the
    transaction the calling task has open, as the database's repositories are (adapters/db/
    scope.py)."""

    def __init__(self, state: State | None = None) -> None:
        self._bound = state

    @property
    def s(self) -> State:
        if self._bound is not None:
            return self._bound
        return current_unit().working


class InMemorySuppliers(_Repos):
    async def get(self, supplier_id: int) -> Supplier | None:
        return self.s.suppliers.get(supplier_id)

    async def by_code(self, code: str) -> Supplier | None:
        return next((x for x in self.s.suppliers.values() if x.code == code), None)

    async def all(self) -> list[Supplier]:
        return list(self.s.suppliers.values())

    async def add(self, supplier: Supplier, services: Sequence[str]) -> Supplier:
        new = replace(supplier, id=self.s.new_id())
        self.s.suppliers[new.id] = new
        self.s.services[new.id] = tuple(services)
        return new


class InMemoryAccounts(_Repos):
    async def by_number(self, supplier_id: int, number: str) -> Account | None:
        return next(
            (
                a
                for a in self.s.accounts.values()
                if (a.supplier_id, a.number) == (supplier_id, number)
            ),
            None,
        )

    async def linked_to(self, resident_id: int) -> list[Account]:
        return [self.s.accounts[a] for (r, a) in self.s.links if r == resident_id]

    async def is_linked(self, resident_id: int, account_id: int) -> bool:
        return (resident_id, account_id) in self.s.links

    async def link(self, resident_id: int, account_id: int, proof: str, at: datetime) -> bool:
        if (resident_id, account_id) in self.s.links:
            return False
        self.s.links[(resident_id, account_id)] = proof
        self.s.linked_at[(resident_id, account_id)] = at
        return True

    async def unlink(self, resident_id: int, account_id: int) -> bool:
        return self.s.links.pop((resident_id, account_id), None) is not None


class InMemoryMeters(_Repos):
    async def contexts(
        self, meter_ids: Sequence[int], *, lock: bool, resident_id: int | None = None
    ) -> list[MeterContext]:
        found = []
        for meter_id in sorted(set(meter_ids)):
            meter = self.s.meters.get(meter_id)
            if meter is None:
                continue
            account = self.s.accounts[meter.account_id]
            linked = (resident_id, account.id) in self.s.links
            supplier = self.s.suppliers[account.supplier_id]
            revision = self.s.revisions.get(meter_id, 0)
            found.append(MeterContext(meter, account, supplier, linked, revision=revision))
        return found

    async def linked_contexts(self, resident_id: int) -> list[MeterContext]:
        mine = [
            m for m in self.s.meters if (resident_id, self.s.meters[m].account_id) in self.s.links
        ]
        return await self.contexts(mine, lock=False, resident_id=resident_id)

    async def of_accounts(self, account_ids: Sequence[int]) -> list[Meter]:
        return [m for m in self.s.meters.values() if m.account_id in account_ids]

    async def by_serials(self, supplier_id: int, serials: Sequence[str]) -> list[Meter]:
        return [
            m
            for m in self.s.meters.values()
            if m.serial in serials and self.s.accounts[m.account_id].supplier_id == supplier_id
        ]

    async def set_water_heater(self, meter_id: int, water_heater: bool) -> None:
        self.s.meters[meter_id] = replace(self.s.meters[meter_id], water_heater=water_heater)


class InMemoryMeterList(_Repos):
    async def linked(
        self, resident_id: int, since: BillingPeriod, *, tariffs: bool = False
    ) -> list[MeterContext]:
        contexts = await InMemoryMeters(self._bound).linked_contexts(resident_id)
        recent = await InMemoryReadings(self._bound).recent([c.meter.id for c in contexts], since)
        prices = InMemoryTariffs(self._bound)
        listed = []
        for c in contexts:
            history = {reg: rows for (mid, reg), rows in recent.items() if mid == c.meter.id}
            known = await prices.of_supplier(c.supplier.id) if tariffs else None
            listed.append(replace(c, history=history, tariffs=known))
        return listed


class InMemoryReadings(_Repos):
    async def recent(
        self, meter_ids: Sequence[int], since: BillingPeriod
    ) -> dict[tuple[int, str], list[Reading]]:
        found: dict[tuple[int, str], list[Reading]] = {}
        for r in sorted(self.s.readings, key=lambda r: (r.period, r.id or 0)):
            if r.meter_id in meter_ids and r.period >= since and r.status is ReadingStatus.ACCEPTED:
                found.setdefault((r.meter_id, r.register), []).append(r)
        return found

    async def add(self, readings: Sequence[Reading]) -> None:
        for r in readings:
            added = replace(r, id=self.s.new_id())
            self.s.readings.append(added)
            if added.receipt and added.submission_id is None:
                self.s.feed_reading(added, None)

    async def of_submission(self, submission_id: int) -> list[Reading]:
        return [r for r in self.s.readings if r.submission_id == submission_id]

    async def by_receipt(self, receipt: str) -> Reading | None:
        return next((r for r in self.s.readings if r.receipt == receipt), None)

    async def history(self, meter_id: int, since: BillingPeriod) -> list[Reading]:
        rows = [r for r in self.s.readings if r.meter_id == meter_id and r.period >= since]
        return sorted(rows, key=lambda r: (r.period, r.id or 0))


class InMemorySubmissions(_Repos):
    def __init__(
        self, state: State | None = None, committed: Callable[[], State] | None = None
    ) -> None:
        super().__init__(state)
        self.committed = committed or (lambda: current_unit().store.state)

    async def snapshot(
        self,
        actor: Actor,
        client_key: str | None,
        meter_ids: Sequence[int],
        since: BillingPeriod,
        *,
        hold: bool,
    ) -> SubmissionSnapshot:
        earlier = self.s.submissions.get((actor.key, client_key)) if client_key else None
        if earlier is not None:
            return SubmissionSnapshot(replace(earlier, is_new=False), [])
        meters = InMemoryMeters(self.s)
        found = await meters.contexts(meter_ids, lock=hold, resident_id=actor.resident_id)
        recent = await InMemoryReadings(self.s).recent(meter_ids, since)
        contexts = [
            replace(c, history={r: rows for (m, r), rows in recent.items() if m == c.meter.id})
            for c in found
        ]
        return SubmissionSnapshot(None, contexts)

    async def save(self, new: NewSubmission) -> Claim | None:
        # A database compares with the latest committed revision, not with this unit's copy.
        latest = self.committed().revisions if self.committed else self.s.revisions
        if any(latest.get(m, 0) != r for m, r in new.revisions.items()):
            return None
        key = new.client_key
        if key is not None and (new.actor.key, key) in self.s.submissions:
            return replace(self.s.submissions[(new.actor.key, key)], is_new=False)
        accepted = {r.id for r in self.s.readings if r.status is ReadingStatus.ACCEPTED}
        if not set(new.superseded) <= accepted:
            # As the databases do (StaleCorrection): the caller's transaction rolls back.
            raise RuntimeError(f"readings {list(new.superseded)} are no longer accepted")
        claim = Claim(self.s.new_id(), True, new.fingerprint, new.at)
        subject = f"submission:{claim.submission_id}"
        self.s.record(new.actor, "readings.submit", subject, {"key": key}, new.at)
        if key is not None:
            self.s.submissions[(new.actor.key, key)] = claim
        for meter_id in new.revisions:
            self.s.revisions[meter_id] = self.s.revisions.get(meter_id, 0) + 1
        self.s.readings = [
            replace(r, status=ReadingStatus.SUPERSEDED) if r.id in new.superseded else r
            for r in self.s.readings
        ]
        replaced = {
            (r.meter_id, r.register, r.period): r.id
            for r in self.s.readings
            if r.id in new.superseded
        }
        for r in new.readings:
            added = replace(r, id=self.s.new_id(), submission_id=claim.submission_id)
            self.s.readings.append(added)
            self.s.feed_reading(added, replaced.get((r.meter_id, r.register, r.period)))
        return claim


class InMemoryAudit(_Repos):
    async def record(
        self, actor: Actor, action: str, subject: str, details: Mapping[str, object], at: datetime
    ) -> None:
        self.s.record(actor, action, subject, details, at)


class InMemoryLinkAttempts(_Repos):
    async def failures_since(
        self,
        resident_id: int,
        supplier_id: int,
        number: str,
        resident_since: datetime,
        account_since: datetime,
    ) -> Attempts:
        failed = [a for a in self.s.attempts if not a[3]]
        mine = sum(1 for a in failed if a[0] == resident_id and a[4] >= resident_since)
        theirs = sum(1 for a in failed if a[1:3] == (supplier_id, number) and a[4] >= account_since)
        return Attempts(mine, theirs)

    async def add(
        self, resident_id: int, supplier_id: int, number: str, success: bool, at: datetime
    ) -> None:
        self.s.attempts.append((resident_id, supplier_id, number, success, at))


class InMemoryResidents(_Repos):
    async def add(self, name: str, at: datetime) -> int:
        new = self.s.new_id()
        self.s.residents[new] = name
        return new

    async def exists(self, resident_id: int) -> bool:
        return resident_id in self.s.residents


class InMemoryTokens(_Repos):
    async def add(self, resident_id: int, token_hash: str, label: str, at: datetime) -> None:
        self.s.tokens[token_hash] = resident_id

    async def resident_for(self, token_hash: str) -> int | None:
        return self.s.tokens.get(token_hash)

    async def revoke(self, token_hash: str, at: datetime) -> int | None:
        return self.s.tokens.pop(token_hash, None)


class InMemoryIdentities(_Repos):
    async def get(self, channel: str, external_id: str) -> Identity | None:
        return self.s.identities.get((channel, external_id))

    async def add(self, identity: Identity, at: datetime) -> None:
        self.s.identities[(identity.channel, identity.external_id)] = identity

    async def update(self, identity: Identity) -> None:
        self.s.identities[(identity.channel, identity.external_id)] = identity

    async def reassign(self, channel: str, external_id: str, resident_id: int) -> None:
        found = self.s.identities[(channel, external_id)]
        self.s.identities[(channel, external_id)] = replace(found, resident_id=resident_id)


class InMemoryDialogStore:
    """Deliveries map to the end of their turn's lease (None once the turn is done); `now` is
    the store's clock, for tests to move on."""

    def __init__(self, lease: timedelta = timedelta(seconds=60)) -> None:
        self.states: dict[tuple[str, str], dict[str, object]] = {}
        self.deliveries: dict[tuple[str, str], datetime | None] = {}
        self.lease = lease
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    async def load(self, channel: str, external_id: str) -> dict[str, object] | None:
        found = self.states.get((channel, external_id))
        return copy.deepcopy(found) if found is not None else None

    async def save(
        self,
        channel: str,
        external_id: str,
        state: dict[str, object],
        delivery_id: str | None = None,
    ) -> None:
        self.states[(channel, external_id)] = copy.deepcopy(state)
        if delivery_id is not None:
            self.deliveries[(channel, delivery_id)] = None

    async def receive(self, channel: str, external_id: str, delivery_id: str) -> Received:
        """Keeps no identities: the unreachable mark is not known (None)."""
        key = (channel, delivery_id)
        if key not in self.deliveries:
            arrival = Arrival.FIRST
        else:
            until = self.deliveries[key]
            if until is None:
                return Received(Arrival.DONE, None)
            if until >= self.now:
                return Received(Arrival.UNDER_WAY, None)
            arrival = Arrival.TAKEN_OVER
        self.deliveries[key] = self.now + self.lease
        return Received(arrival, await self.load(channel, external_id))


class InMemoryMedia(_Repos):
    async def add(self, token: str, content: bytes, content_type: str, at: datetime) -> None:
        self.s.media[token] = (content, content_type, at)

    async def get(self, token: str, since: datetime) -> tuple[bytes, str] | None:
        found = self.s.media.get(token)
        return (found[0], found[1]) if found and found[2] >= since else None

    async def forget_before(self, before: datetime) -> None:
        self.s.media = {k: v for k, v in self.s.media.items() if v[2] >= before}


class InMemoryPhotoStore(_Repos):
    """`PhotoStore` (application/readings/photo_evidence.py) in memory."""

    async def add(self, photo: NewPhoto) -> int:
        photo_id = max(self.s.photos, default=0) + 1
        self.s.photos[photo_id] = (photo, None)
        return photo_id

    async def set_read_value(self, photo_id: int, value: int | None) -> None:
        photo, _ = self.s.photos[photo_id]
        self.s.photos[photo_id] = (photo, value)

    async def of_meter(self, meter_id: int) -> list[PhotoInfo]:
        found = [
            PhotoInfo(
                i,
                p.meter_id,
                p.register,
                p.period,
                p.channel,
                read,
                p.image.sha256,
                len(p.image.content),
                p.image.width,
                p.image.height,
                p.received_at,
            )
            for i, (p, read) in self.s.photos.items()
            if p.meter_id == meter_id
        ]
        return sorted(found, key=lambda p: (p.received_at, p.id), reverse=True)

    async def content(self, photo_id: int) -> tuple[int, bytes] | None:
        found = self.s.photos.get(photo_id)
        return (found[0].meter_id, found[0].image.content) if found else None

    async def retention(self) -> dict[int, int]:
        suppliers = {p.supplier_id for p, _ in self.s.photos.values()}
        return {s: self.s.photo_retention.get(s, DEFAULT_RETENTION_DAYS) for s in suppliers}

    async def set_retention(self, supplier_code: str, days: int) -> bool:
        found = [s.id for s in self.s.suppliers.values() if s.code == supplier_code]
        for supplier_id in found:
            self.s.photo_retention[supplier_id] = days
        return bool(found)

    async def forget(self, supplier_id: int, before: datetime) -> int:
        gone = [
            i
            for i, (p, _) in self.s.photos.items()
            if p.supplier_id == supplier_id and p.received_at < before
        ]
        for i in gone:
            del self.s.photos[i]
        return len(gone)


class InMemoryTariffs(_Repos):
    async def of_supplier(self, supplier_id: int) -> list[Tariff]:
        return [t for t in self.s.tariffs if t.supplier_id == supplier_id]

    async def add(self, tariff: Tariff) -> None:
        self.s.tariffs.append(tariff)


@dataclass
class _FakeImport:
    job: ImportJob
    waiting: list[StagedRow] = field(default_factory=list)
    seen: set[tuple[int, str]] = field(default_factory=set)
    duplicates: list[int] = field(default_factory=list)
    counts: MergeCounts = field(default_factory=MergeCounts)
    done: bool = False


class InMemoryRegistry(_Repos):
    """RegistryStaging as the databases merge: rows staged, then merged batch by batch, the last
    row of an account wins, a meter listed again with a change moves its revision on (one listed
    as held is only counted unchanged), a known accepted reading is kept. Records each step it
    was given (`steps`)."""

    def __init__(self, state: State | None = None) -> None:
        super().__init__(state)
        self.imports: dict[int, _FakeImport] = {}
        self.steps: list[str] = []

    async def open(self, key: str | None, at: datetime, water_heaters: bool) -> ImportJob:
        self.steps.append("open")
        for found in self.imports.values():
            if key is not None and found.job.runner.startswith(f"{key}/") and not found.done:
                found.job = replace(found.job, runner=f"{key}/{len(self.steps)}")
                return found.job
        # Ids of its own: the store's ids stay those of accounts and meters, as before.
        job = ImportJob(len(self.imports) + 1, f"{key}/{len(self.steps)}", at, water_heaters)
        self.imports[job.id] = _FakeImport(job)
        return job

    def _running(self, job: ImportJob) -> _FakeImport:
        found = self.imports[job.id]
        if found.job.runner != job.runner:
            raise ImportTakenOver(job.id)
        return found

    def prepare(self, job: ImportJob, chunk: list[StagedRow]) -> object:
        return len(chunk)  # handed back to `stage`, which checks it is this chunk's

    async def stage(self, job: ImportJob, chunk: list[StagedRow], prepared: object = None) -> None:
        assert prepared in (None, len(chunk))
        self.steps.append("stage")
        found = self._running(job)
        dups = 0
        rows: list[StagedRow] = []
        for item in chunk:
            key = (item.supplier_id, item.row.serial)
            if key in found.seen:
                found.duplicates.append(item.line)
                dups += 1
                continue
            found.seen.add(key)
            rows.append(item)
        # A row the store holds as listed is not merged (ADR 0022), unless its account's rows
        # disagree or one of them was merged already (the last row of an account wins).
        staged = {(i.supplier_id, i.row.account) for i in found.waiting}
        fields: dict[tuple[int, str], set[tuple[str, str, str]]] = {}
        for item in rows:
            own = (item.row.holder, item.row.address, item.row.district)
            fields.setdefault((item.supplier_id, item.row.account), set()).add(own)
        unchanged = 0
        for item in rows:
            account = (item.supplier_id, item.row.account)
            if account not in staged and len(fields[account]) == 1 and self._holds(item, job):
                unchanged += 1
            else:
                found.waiting.append(item)
        found.counts += MergeCounts(len(chunk), dups, unchanged=unchanged)
        found.job = replace(found.job, staged_through=chunk[-1].line)

    def _holds(self, item: StagedRow, job: ImportJob) -> bool:
        """Whether merging the row would change nothing but its meter's revision."""
        row = item.row
        account = self._account(item.supplier_id, row.account)
        meter = next(
            (
                m
                for m in self.s.meters.values()
                if m.serial == row.serial and self.s.supplier_of_meter(m) == item.supplier_id
            ),
            None,
        )
        if account is None or meter is None or meter.account_id != account.id:
            return False
        if not all(t.isprintable() for t in (row.holder, row.address, row.district)):
            return False  # as the databases judge a cell holding a control character
        heater = row.water_heater if job.water_heaters else meter.water_heater
        same = (
            (account.holder, account.address, account.district)
            == (row.holder, row.address, row.district)
            and (meter.service, meter.registers, meter.digits, meter.decimals)
            == (row.service, row.registers, row.digits, row.decimals)
            and (meter.verification_due, meter.status) == (row.verification_due, row.status)
            and meter.water_heater == heater
            and not (heater and row.service is not Service.HOT_WATER)
        )
        known = {
            r.register
            for r in self.s.readings
            if r.meter_id == meter.id
            and r.period == row.period
            and r.status is ReadingStatus.ACCEPTED
        }
        return same and (row.period is None or set(row.registers) <= known)

    async def merge(self, job: ImportJob, batch: int) -> bool:
        self.steps.append("merge")
        found = self._running(job)
        kept, found.waiting = found.waiting[:batch], found.waiting[batch:]
        if not kept:
            return False
        # The last row of an account wins; ids are drawn row by row, account then meter.
        last = {(item.supplier_id, item.row.account): item.row for item in kept}
        accounts = added = 0
        for item in kept:
            key = (item.supplier_id, item.row.account)
            if key in last:
                accounts += self._upsert_account(*key, last.pop(key))
            added += self._meter(item, job.at, job.water_heaters)
        replaced = sum(1 for item in kept if item.row.status is MeterStatus.REPLACED)
        found.counts += MergeCounts(0, 0, accounts, len(kept), added, replaced)
        return True

    async def finish(self, job: ImportJob) -> tuple[MergeCounts, list[int]]:
        self.steps.append("finish")
        found = self._running(job)
        found.done = True
        return found.counts, sorted(found.duplicates)

    def _upsert_account(self, supplier_id: int, number: str, row: RegistryRow) -> int:
        """1 when the account was added or changed, as the databases count."""
        found = self._account(supplier_id, number)
        new = Account(
            found.id if found else self.s.new_id(),
            supplier_id,
            number,
            row.holder,
            row.address,
            row.district,
        )
        if new == found:
            return 0
        self.s.accounts[new.id] = new
        return 1

    def _account(self, supplier_id: int, number: str) -> Account | None:
        return next(
            (
                a
                for a in self.s.accounts.values()
                if (a.supplier_id, a.number) == (supplier_id, number)
            ),
            None,
        )

    def _meter(self, item: StagedRow, at: datetime, water_heaters: bool) -> int:
        """Upserts the row's meter and adds its readings not yet known; how many were added."""
        row = item.row
        account = self._account(item.supplier_id, row.account)
        assert account is not None
        existing = next(
            (
                m
                for m in self.s.meters.values()
                if m.serial == row.serial and self.s.supplier_of_meter(m) == item.supplier_id
            ),
            None,
        )
        # As the databases merge: the file's flag when it lists them, else the meter's own while
        # it stays one of hot water.
        heater = row.water_heater
        if existing is not None and not water_heaters:
            heater = existing.water_heater and row.service is Service.HOT_WATER
        meter = Meter(
            existing.id if existing else self.s.new_id(),
            account.id,
            row.service,
            row.serial,
            row.registers,
            row.digits,
            row.decimals,
            row.verification_due,
            row.status,
            heater,
        )
        self.s.meters[meter.id] = meter
        if existing is not None:
            self.s.revisions[meter.id] = self.s.revisions.get(meter.id, 0) + 1
        if row.period is None:
            return 0
        added = 0
        for register, milli in zip(row.registers, row.values_milli, strict=True):
            if any(
                (r.meter_id, r.register, r.period) == (meter.id, register, row.period)
                and r.status is ReadingStatus.ACCEPTED
                for r in self.s.readings
            ):
                continue
            self.s.readings.append(
                Reading(
                    meter.id,
                    register,
                    row.period,
                    from_milli(milli),
                    at,
                    Channel.REGISTRY,
                    "",
                    id=self.s.new_id(),
                )
            )
            added += 1
        return added


def released(reading: Reading, by: datetime | None) -> bool:
    """Whether the supplier may see the reading at `by` (the database's `release_at` rule)."""
    return by is None or reading.held_until is None or reading.held_until <= by


class InMemoryQueries(_Repos):
    """ReadingExports and NonSubmitterQuery on the fake's state; the CSV is `readings_csv`'s."""

    async def export_csv(
        self,
        supplier_id: int,
        period: BillingPeriod,
        sink: Callable[[bytes], Awaitable[None]],
        by: datetime | None = None,
    ) -> None:
        await sink(readings_csv((), header=True))
        async for chunk in self.export_rows(supplier_id, period, by):
            await sink(readings_csv(chunk))

    async def export_rows(
        self, supplier_id: int, period: BillingPeriod, by: datetime | None = None
    ) -> AsyncIterator[Sequence[ExportRow]]:
        rows: list[ExportRow] = []
        for r in self.s.readings:
            meter = self.s.meters.get(r.meter_id)
            if meter is None or r.period != period or r.status is not ReadingStatus.ACCEPTED:
                continue
            if not released(r, by):
                continue
            account = self.s.accounts[meter.account_id]
            if account.supplier_id != supplier_id:
                continue
            value = Decimal(format_value(r.value, meter.decimals))
            when = r.submitted_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            rows.append(
                ExportRow(
                    account.number,
                    meter.serial,
                    meter.service.value,
                    r.register,
                    str(period),
                    value,
                    when,
                    r.channel.value,
                    r.receipt,
                )
            )
        yield rows

    async def non_submitters(
        self, supplier_id: int, period: BillingPeriod, by: datetime | None = None
    ) -> AsyncIterator[NonSubmitter]:
        sent = {
            r.meter_id
            for r in self.s.readings
            if r.period == period and r.status is ReadingStatus.ACCEPTED and released(r, by)
        }
        found = []
        for m in self.s.meters.values():
            account = self.s.accounts[m.account_id]
            if (
                account.supplier_id == supplier_id
                and m.status is MeterStatus.ACTIVE
                and m.id not in sent
            ):
                found.append(
                    NonSubmitter(
                        account.number, account.holder, account.address, m.serial, m.service.value
                    )
                )
        for item in sorted(found, key=lambda n: (n.account_number, n.meter_serial)):
            yield item


# --- the web doors' sign-in, sessions and staff ------------------------------------------------


class FakePasswords:
    """A reversible "hash" that shows what it was given: for tests of use cases only."""

    def __init__(self) -> None:
        self.hashed: list[str] = []

    def hash(self, password: str) -> str:
        self.hashed.append(password)
        return "fake$" + password[::-1]

    def verify(self, hashed: str, password: str) -> bool:
        return hashed == "fake$" + password[::-1]


class FakeSender:
    """Records what it sends; `fail` makes every send raise."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[OutgoingMessage] = []
        self.fail = fail

    async def send(self, message: OutgoingMessage) -> None:
        if self.fail:
            raise ConnectionError("the gateway is down")
        self.sent.append(message)


class InMemoryWebLogins(_Repos):
    async def by_login(self, login: str) -> WebLogin | None:
        return self.s.web_logins.get(login)

    async def of_resident(self, resident_id: int) -> list[WebLogin]:
        return [w for w in self.s.web_logins.values() if w.resident_id == resident_id]

    async def add(self, resident_id: int, login: str, password_hash: str, at: datetime) -> int:
        if login in self.s.web_logins:
            raise Conflict(login)
        login_id = self.s.new_id()
        self.s.web_logins[login] = WebLogin(login_id, resident_id, login, password_hash)
        return login_id

    async def set_password(self, resident_id: int, password_hash: str) -> None:
        for login, found in list(self.s.web_logins.items()):
            if found.resident_id == resident_id:
                self.s.web_logins[login] = replace(found, password_hash=password_hash)


class InMemoryStaff(_Repos):
    async def by_login(self, login: str) -> StaffRecord | None:
        return next((r for r in self.s.staff.values() if r.member.login == login), None)

    async def get(self, staff_id: int) -> StaffRecord | None:
        return self.s.staff.get(staff_id)

    async def all(self) -> list[StaffMember]:
        return [r.member for _, r in sorted(self.s.staff.items())]

    async def add(self, member: StaffMember, password_hash: str, at: datetime) -> int:
        if await self.by_login(member.login) is not None:
            raise Conflict(member.login)
        staff_id = self.s.new_id()
        self.s.staff[staff_id] = StaffRecord(replace(member, id=staff_id), password_hash)
        return staff_id

    async def update(self, member: StaffMember, password_hash: str | None = None) -> None:
        found = self.s.staff[member.id]
        self.s.staff[member.id] = StaffRecord(member, password_hash or found.password_hash)


class InMemoryWebSessions(_Repos):
    async def add(self, session: WebSession, at: datetime) -> None:
        self.s.web_sessions[session.token_hash] = session

    async def live(self, token_hash: str, now: datetime) -> WebSession | None:
        found = self.s.web_sessions.get(token_hash)
        return found if found is not None and found.expires_at > now else None

    async def remove(self, token_hash: str) -> None:
        self.s.web_sessions.pop(token_hash, None)

    async def remove_all(self, kind: str, subject_id: int) -> None:
        for key, found in list(self.s.web_sessions.items()):
            if (found.kind, found.subject_id) == (kind, subject_id):
                del self.s.web_sessions[key]

    async def forget_before(self, before: datetime) -> None:
        for key, found in list(self.s.web_sessions.items()):
            if found.expires_at <= before:
                del self.s.web_sessions[key]


class InMemorySignInAttempts(_Repos):
    async def failures_since(self, key: str, since: datetime) -> int:
        return sum(
            1 for k, ok, at in self.s.sign_in_attempts if k == key and not ok and at >= since
        )

    async def succeeded_since(self, key: str, since: datetime) -> bool:
        return any(k == key and ok and at >= since for k, ok, at in self.s.sign_in_attempts)

    async def add(self, key: str, success: bool, at: datetime) -> None:
        self.s.sign_in_attempts.append((key, success, at))


class InMemoryReceiptRecords(_Repos):
    """Receipts' records from the readings, meters, accounts and suppliers held."""

    async def by_receipts(self, receipts: Sequence[str]) -> list[HeldReceipt]:
        found = []
        for r in self.s.readings:
            if not r.receipt or r.receipt not in receipts:
                continue
            meter = self.s.meters[r.meter_id]
            account = self.s.accounts[meter.account_id]
            supplier = self.s.suppliers[account.supplier_id]
            record = ReceiptRecord(
                r.receipt,
                supplier.code,
                account.number,
                meter.serial,
                r.period,
                r.register,
                r.value,
                meter.decimals,
                r.submitted_at,
                r.channel.value,
            )
            found.append(HeldReceipt(record, r.status, supplier.name, account.id, meter.id))
        return found


class InMemoryOneTimeTokens(_Repos):
    async def add(
        self, token_hash: str, purpose: str, subject_id: int, expires_at: datetime
    ) -> None:
        self.s.one_time_tokens[token_hash] = (purpose, subject_id, expires_at, None)

    async def use(self, token_hash: str, purpose: str, now: datetime) -> int | None:
        found = self.s.one_time_tokens.get(token_hash)
        if found is None:
            return None
        kind, subject_id, expires_at, used_at = found
        if kind != purpose or used_at is not None or expires_at <= now:
            return None
        self.s.one_time_tokens[token_hash] = (kind, subject_id, expires_at, now)
        return subject_id


@dataclass
class OutboxRow:
    message: OutgoingMessage
    state: str = "waiting"
    attempts: int = 0
    claimed_by: str | None = None
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None


class InMemoryOutbox(_Repos):
    """The outbox, with the lease of ADR 0012; `fail` makes `add` raise, as a database refusing
    the row would."""

    def __init__(self, state: State | None = None) -> None:
        super().__init__(state)
        self.fail = False

    async def add(self, message: OutgoingMessage, at: datetime) -> None:
        if self.fail:
            raise ConnectionError("the outbox cannot be written")
        self.s.outbox[self.s.new_id()] = OutboxRow(message)

    async def claim(self, worker: str, limit: int, now: datetime, lease: timedelta) -> OutboxClaim:
        rows = sorted(self.s.outbox.items())
        lapsed = [r for _, r in rows if r.state == "sending" and r.lease_until <= now]  # type: ignore[operator]
        for row in lapsed:
            row.state, row.claimed_by = "unknown", None
        free = [
            (i, r)
            for i, r in rows
            if r.state == "waiting" and (r.lease_until is None or r.lease_until <= now)
        ][:limit]
        for _, row in free:
            row.claimed_by, row.lease_until = worker, now + lease
        claimed = [ClaimedMessage(i, r.message, r.attempts) for i, r in free]
        return OutboxClaim(claimed, len(lapsed))

    async def begin_attempt(
        self, message_id: int, worker: str, now: datetime, until: datetime
    ) -> bool:
        row = self.s.outbox[message_id]
        lease = row.lease_until
        if row.state != "waiting" or row.claimed_by != worker or lease is None or lease <= now:
            return False
        row.state, row.attempts, row.lease_until = "sending", row.attempts + 1, until
        return True

    async def mark_sent(self, message_id: int, at: datetime) -> None:
        row = self.s.outbox[message_id]
        row.state, row.sent_at, row.claimed_by, row.lease_until = "sent", at, None, None

    async def mark_failed(self, message_id: int, error: str, retry_at: datetime | None) -> None:
        row = self.s.outbox[message_id]
        if row.state == "sending":
            row.state = "failed" if retry_at is None else "waiting"
            row.claimed_by, row.lease_until, row.last_error = None, retry_at, error


class InMemoryProfiles(_Repos):
    async def get(self, resident_id: int) -> ResidentProfile | None:
        return self.s.profiles.get(resident_id)

    async def save(self, profile: ResidentProfile) -> None:
        self.s.profiles[profile.resident_id] = profile

    async def identities_of(self, resident_id: int) -> list[Identity]:
        found = [i for i in self.s.identities.values() if i.resident_id == resident_id]
        return sorted(found, key=lambda i: i.channel)


# --- reminders ----------------------------------------------------------------------------------


@dataclass
class ReminderRow:
    rule_id: int
    supplier_id: int
    period: int
    recipient: Recipient
    send_at: int
    state: str = PLANNED
    attempts: int = 0
    claimed_by: str | None = None
    lease_until: datetime | None = None
    detail: str = ""
    billing_status: int | None = None
    finished_at: datetime | None = None


REMINDER_CHANNELS = ("email", "sms", "telegram", "viber")


class InMemoryReminderRules(_Repos):
    async def stored(self, supplier_id: int) -> list[ReminderRule]:
        return [r for r in self.s.reminder_rules.values() if r.supplier_id == supplier_id]

    async def save(self, rule: ReminderRule) -> ReminderRule:
        found = next(
            (
                r
                for r in self.s.reminder_rules.values()
                if (r.supplier_id, r.kind) == (rule.supplier_id, rule.kind)
            ),
            None,
        )
        saved = rule.with_id(found.id if found and found.id else self.s.new_id())
        self.s.reminder_rules[saved.id or 0] = saved
        return saved


class InMemoryReminderBook(_Repos):
    """ReminderBook as the databases keep it: one row per (resident, rule, period), planned
    resident by resident here (the databases do it in one statement)."""

    def _recipients(self) -> list[Recipient]:
        found = []
        for p in sorted(self.s.profiles.values(), key=lambda p: p.resident_id):
            if p.reminder_consent_at is None or p.reminder_channel not in REMINDER_CHANNELS:
                continue
            if p.reminder_channel in ("email", "sms"):
                address: str | None = p.contact
            else:
                address = min(
                    (
                        i.external_id
                        for i in self.s.identities.values()
                        if (i.resident_id, i.channel) == (p.resident_id, p.reminder_channel)
                        and (i.channel, i.external_id) not in self.s.unreachable
                    ),
                    default=None,
                )
            if address:
                name = self.s.residents.get(p.resident_id, "")
                found.append(
                    Recipient(p.resident_id, name, p.reminder_channel, address, p.language)
                )
        return found

    def _meters_of(self, resident_id: int, supplier_id: int | None = None) -> list[Meter]:
        accounts = {a for (r, a) in self.s.links if r == resident_id}
        return [
            m
            for m in sorted(self.s.meters.values(), key=lambda m: m.id)
            if m.account_id in accounts
            and m.status is MeterStatus.ACTIVE
            and supplier_id in (None, self.s.supplier_of_meter(m))
        ]

    def _read(self, meter_id: int, period: int) -> bool:
        return any(
            r.meter_id == meter_id
            and r.period.index == period
            and r.status is ReadingStatus.ACCEPTED
            for r in self.s.readings
        )

    def _due(self, supplier_id: int, period: int) -> list[tuple[Recipient, int]]:
        return [
            (r, period)
            for r in self._recipients()
            if any(
                not self._read(m.id, period) for m in self._meters_of(r.resident_id, supplier_id)
            )
        ]

    def _verification_due(
        self, supplier_id: int, due_from: date, due_to: date
    ) -> list[tuple[Recipient, int]]:
        found = []
        for r in self._recipients():
            months = {
                m.verification_due.year * 12 + m.verification_due.month - 1
                for m in self._meters_of(r.resident_id, supplier_id)
                if m.verification_due is not None and due_from <= m.verification_due <= due_to
            }
            found += [(r, month) for month in sorted(months)]
        return found

    def _plan(
        self, rule_id: int, supplier_id: int, due: list[tuple[Recipient, int]], span: SendSpan
    ) -> int:
        taken = {
            (row.recipient.resident_id, row.rule_id, row.period)
            for row in self.s.reminders.values()
        }
        added = 0
        for recipient, period in due:
            if (recipient.resident_id, rule_id, period) in taken:
                continue
            taken.add((recipient.resident_id, rule_id, period))
            moment = span.moment(recipient.resident_id)
            self.s.reminders[self.s.new_id()] = ReminderRow(
                rule_id, supplier_id, period, recipient, moment
            )
            added += 1
        return added

    async def begin_plan(self, rule_id: int, run: str, at: datetime) -> bool:
        if (rule_id, run) in self.s.reminder_plans:
            return False
        self.s.reminder_plans[(rule_id, run)] = at
        return True

    async def finish_plan(self, rule_id: int, run: str, planned: int) -> None:
        self.s.reminder_plan_counts[(rule_id, run)] = planned

    async def plan_due(self, rule_id: int, supplier_id: int, period: int, span: SendSpan) -> int:
        return self._plan(rule_id, supplier_id, self._due(supplier_id, period), span)

    async def plan_verification(
        self, rule_id: int, supplier_id: int, due_from: date, due_to: date, span: SendSpan
    ) -> int:
        due = self._verification_due(supplier_id, due_from, due_to)
        return self._plan(rule_id, supplier_id, due, span)

    async def audience(self, supplier_id: int, period: int, limit: int) -> Audience:
        due = self._due(supplier_id, period)
        return Audience(len(due), [r for r, _ in due[:limit]])

    async def verification_audience(
        self, supplier_id: int, due_from: date, due_to: date, limit: int
    ) -> Audience:
        due = self._verification_due(supplier_id, due_from, due_to)
        return Audience(len(due), [r for r, _ in due[:limit]])

    async def claim(
        self, worker: str, limit: int, now: datetime, lease: timedelta
    ) -> ReminderClaim:
        rows = self.s.reminders
        lapsed = [r for r in rows.values() if r.state == SENDING and r.lease_until <= now]  # type: ignore[operator]
        for row in lapsed:
            row.state, row.claimed_by = UNKNOWN, None
        free = sorted(
            (
                (r.send_at, i)
                for i, r in rows.items()
                if r.state == PLANNED
                and r.send_at <= epoch(now)
                and (r.lease_until is None or r.lease_until <= now)
                and not self.s.reminder_rules[r.rule_id].paused
            )
        )[:limit]
        claimed = []
        for _, i in free:
            row = rows[i]
            row.claimed_by, row.lease_until = worker, now + lease
            kind = self.s.reminder_rules[row.rule_id].kind
            claimed.append(
                ClaimedReminder(
                    i, row.rule_id, kind, row.supplier_id, row.period, row.recipient, row.attempts
                )
            )
        return ReminderClaim(claimed, len(lapsed))

    async def begin_attempt(
        self, reminder_id: int, worker: str, now: datetime, until: datetime
    ) -> bool:
        row = self.s.reminders[reminder_id]
        lease = row.lease_until
        if row.state != PLANNED or row.claimed_by != worker or lease is None or lease <= now:
            return False
        row.state, row.lease_until = SENDING, until
        return True

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
        row = self.s.reminders[reminder_id]
        row.state, row.finished_at, row.detail, row.billing_status = (
            state,
            at,
            detail,
            billing_status,
        )
        row.claimed_by, row.lease_until = None, None

    async def retry(self, reminder_id: int, at: datetime, detail: str) -> None:
        row = self.s.reminders[reminder_id]
        if row.state in (PLANNED, SENDING):
            row.state, row.send_at, row.attempts = PLANNED, epoch(at), row.attempts + 1
            row.claimed_by, row.lease_until, row.detail = None, None, detail

    def _planned_of(self, resident_id: int) -> list[tuple[int, ReminderRow]]:
        return [
            (i, r)
            for i, r in self.s.reminders.items()
            if r.recipient.resident_id == resident_id and r.state == PLANNED
        ]

    async def merge_into(self, reminder_id: int, resident_id: int, until: datetime) -> int:
        merged = [
            r
            for i, r in self._planned_of(resident_id)
            if i != reminder_id
            and r.send_at < epoch(until)
            and not self.s.reminder_rules[r.rule_id].kind.about_verification
        ]
        for row in merged:
            row.state, row.detail, row.claimed_by = MERGED, f"with {reminder_id}", None
        return len(merged)

    async def cancel(self, resident_id: int, at: datetime) -> int:
        cancelled = self._planned_of(resident_id)
        for _, row in cancelled:
            row.state, row.finished_at, row.claimed_by, row.lease_until = CANCELLED, at, None, None
        return len(cancelled)

    async def counts(self, supplier_id: int, period: int) -> dict[int, dict[str, int]]:
        found: dict[int, dict[str, int]] = {}
        for r in self.s.reminders.values():
            if (r.supplier_id, r.period) == (supplier_id, period):
                by_state = found.setdefault(r.rule_id, {})
                by_state[r.state] = by_state.get(r.state, 0) + 1
        return found

    async def linked_meters(self, resident_id: int) -> list[LinkedMeter]:
        found = []
        for m in self._meters_of(resident_id):
            account = self.s.accounts[m.account_id]
            supplier = self.s.suppliers[account.supplier_id]
            read = [
                r.period.index
                for r in self.s.readings
                if r.meter_id == m.id and r.status is ReadingStatus.ACCEPTED
            ]
            found.append(
                LinkedMeter(
                    supplier.id,
                    supplier.name,
                    str(supplier.window),
                    supplier.window.timezone,
                    account.number,
                    m.service.value,
                    m.serial,
                    m.water_heater,
                    m.verification_due,
                    max(read, default=None),
                )
            )
        return sorted(found, key=lambda x: (x.supplier_id, x.account_number, x.serial))

    async def mark_unreachable(self, channel: str, address: str, at: datetime) -> None:
        owner = self.s.identities.get((channel, address))
        if owner is None:
            return
        self.s.unreachable[(channel, address)] = at
        for _, row in self._planned_of(owner.resident_id):
            if (row.recipient.channel, row.recipient.address) == (channel, address):
                row.state, row.finished_at, row.claimed_by = UNREACHABLE, at, None
                row.lease_until = None

    async def reachable_again(self, channel: str, address: str) -> None:
        self.s.unreachable.pop((channel, address), None)


# --- the staff's console and the supplier portal ----------------------------------------------


def _any_case(text: str) -> re.Pattern[str]:
    """What the databases match a search word with (adapters/db/staff.py): a letter in either
    case, a digit or a space as itself, any other character as any character."""
    parts = []
    for char in text:
        if len(char.lower()) == len(char.upper()) == 1 and char.lower() != char.upper():
            parts.append(f"[{re.escape(char.lower())}{re.escape(char.upper())}]")
        elif char.isdigit() or char == " ":
            parts.append(re.escape(char))
        else:
            parts.append(".")
    return re.compile("".join(parts))


class InMemoryAccountSearch(_Repos):
    async def account(self, account_id: int) -> Account | None:
        return self.s.accounts.get(account_id)

    def _in(self, scope: AccountScope) -> list[Account]:
        return [
            a
            for a in self.s.accounts.values()
            if scope.district in (None, a.district) and scope.supplier_id in (None, a.supplier_id)
        ]

    async def by_number(self, prefix: str, scope: AccountScope, limit: int) -> list[Account]:
        found = [a for a in self._in(scope) if a.number.startswith(prefix)]
        found.sort(key=lambda a: (a.number != prefix, a.number, a.supplier_id))
        return found[:limit]

    async def by_address(
        self, words: Sequence[str], scope: AccountScope, limit: int
    ) -> list[Account]:
        patterns = [_any_case(w) for w in words]
        found = [a for a in self._in(scope) if all(p.search(a.address) for p in patterns)]
        return sorted(found, key=lambda a: a.address)[:limit]

    async def by_surname(self, prefix: str, scope: AccountScope, limit: int) -> list[Account]:
        pattern = _any_case(prefix)
        found = [a for a in self._in(scope) if pattern.match(a.holder)]
        return sorted(found, key=lambda a: (a.holder, a.number))[:limit]

    async def by_phone(self, phone: str, scope: AccountScope, limit: int) -> list[Account]:
        residents = {w.resident_id for w in self.s.web_logins.values() if w.login == phone}
        residents |= {p.resident_id for p in self.s.profiles.values() if p.contact == phone}
        linked = {a for (r, a) in self.s.links if r in residents}
        found = [a for a in self._in(scope) if a.id in linked]
        return sorted(found, key=lambda a: (a.supplier_id, a.number))[:limit]

    async def linked_residents(self, account_id: int) -> list[int]:
        return sorted(r for (r, a) in self.s.links if a == account_id)


class InMemoryAuditTrail(_Repos):
    """The audit log read back: the entries InMemoryAudit (and a submission's save) wrote."""

    async def trail(
        self, account_id: int, meter_ids: Sequence[int], limit: int
    ) -> list[AuditEntry]:
        subjects = {f"account:{account_id}", *(f"meter:{m}" for m in meter_ids)}
        subjects |= {
            f"submission:{r.submission_id}"
            for r in self.s.readings
            if r.meter_id in meter_ids and r.submission_id is not None
        }
        found = [e for e in self.s.audit_log if e.subject in subjects]
        return sorted(found, key=lambda e: e.id, reverse=True)[:limit]

    async def entries(self, subject: str, action: str) -> list[AuditEntry]:
        return [e for e in self.s.audit_log if (e.subject, e.action) == (subject, action)]


class InMemorySupplierCatalog(_Repos):
    def _record(self, supplier: Supplier) -> SupplierRecord:
        return SupplierRecord(supplier, self.s.services.get(supplier.id, ()))

    async def suppliers(self) -> list[SupplierRecord]:
        return [self._record(x) for _, x in sorted(self.s.suppliers.items())]

    async def supplier(self, supplier_id: int) -> SupplierRecord | None:
        found = self.s.suppliers.get(supplier_id)
        return self._record(found) if found is not None else None

    def _check_code(self, supplier: Supplier) -> None:
        if any(x.code == supplier.code and x.id != supplier.id for x in self.s.suppliers.values()):
            raise Conflict(supplier.code)

    async def add_supplier(self, supplier: Supplier, services: Sequence[str]) -> int:
        self._check_code(replace(supplier, id=0))
        new = replace(supplier, id=self.s.new_id())
        self.s.suppliers[new.id] = new
        self.s.services[new.id] = tuple(services)
        return new.id

    async def update_supplier(self, supplier: Supplier, services: Sequence[str]) -> None:
        if supplier.id not in self.s.suppliers:
            return
        self._check_code(supplier)
        self.s.suppliers[supplier.id] = supplier
        self.s.services[supplier.id] = tuple(services)


def _as_stored(problems: Iterable[RejectedRow]) -> tuple[RejectedRow, ...]:
    """Rejected rows as the database gives them back: parameters kept as text."""
    return tuple(
        RejectedRow(
            p.line,
            tuple(
                Violation(v.code, {k: str(x) for k, x in v.params.items()}) for v in p.violations
            ),
        )
        for p in problems
    )


class InMemoryPeriodFiles(_Repos):
    """PeriodFileStore: the files by supplier and period, kept once."""

    async def file_formats(self) -> dict[int, str]:
        return {i: self.s.file_formats.get(i, "csv") for i in self.s.suppliers}

    async def set_file_format(self, supplier_id: int, fmt: str) -> None:
        self.s.file_formats[supplier_id] = fmt

    async def has(self, supplier_id: int, period: BillingPeriod) -> bool:
        return (supplier_id, period) in self.s.period_files

    async def add(self, file: PeriodFile, content: bytes) -> bool:
        if (file.supplier_id, file.period) in self.s.period_files:
            return False
        self.s.period_files[(file.supplier_id, file.period)] = (file, content)
        return True

    async def of_supplier(self, supplier_id: int, limit: int) -> list[PeriodFile]:
        mine = [f for (s, _), (f, _) in self.s.period_files.items() if s == supplier_id]
        return sorted(mine, key=lambda f: f.period, reverse=True)[:limit]

    async def kept(
        self, supplier_id: int, period: BillingPeriod
    ) -> tuple[PeriodFile, bytes] | None:
        return self.s.period_files.get((supplier_id, period))


class InMemorySupplierEvents(_Repos):
    """SupplierEvents: what it was given, in order."""

    async def record(
        self,
        supplier_id: int,
        kind: str,
        period: BillingPeriod,
        payload: Mapping[str, object],
        at: datetime,
        queued_at: datetime | None = None,
    ) -> None:
        self.s.supplier_events.append((supplier_id, kind, period, dict(payload), at))


class InMemorySupplierPortal(_Repos):
    """SupplierPortalRepository: settings, registry uploads, pull tokens and period counts."""

    async def services_of(self, supplier_id: int) -> list[str]:
        return list(self.s.services.get(supplier_id, ()))

    async def photo_days_of(self, supplier_id: int) -> int:
        return self.s.photo_retention.get(supplier_id, DEFAULT_RETENTION_DAYS)

    async def set_photo_days(self, supplier_id: int, days: int) -> None:
        self.s.photo_retention[supplier_id] = days

    async def set_window_rule(self, supplier_id: int, rule: str, timezone: str) -> None:
        found = self.s.suppliers.get(supplier_id)
        if found is not None:
            window = WindowRule.parse(rule, timezone)
            self.s.suppliers[supplier_id] = replace(found, window=window)

    async def add_upload(
        self, supplier_id: int, staff_id: int | None, filename: str, at: datetime
    ) -> int:
        upload_id = self.s.new_id()
        self.s.uploads[upload_id] = RegistryUpload(
            upload_id, supplier_id, staff_id, filename, "running", 0, 0, 0, at, heartbeat_at=at
        )
        return upload_id

    async def finish_upload(
        self,
        upload_id: int,
        status: str,
        counts: tuple[int, int, int, int],
        problems: Sequence[RejectedRow],
        at: datetime,
    ) -> None:
        found = self.s.uploads.get(upload_id)
        if found is None:
            return
        rows, accepted, rejected, unchanged = counts
        self.s.uploads[upload_id] = replace(
            found,
            status=status,
            rows=rows,
            accepted=accepted,
            rejected=rejected,
            unchanged=unchanged,
            finished_at=at,
            problems=_as_stored(problems),
        )

    async def upload(self, upload_id: int) -> RegistryUpload | None:
        return self.s.uploads.get(upload_id)

    async def uploads(self, supplier_id: int, limit: int) -> list[RegistryUpload]:
        mine = [u for u in self.s.uploads.values() if u.supplier_id == supplier_id]
        mine.sort(key=lambda u: u.id, reverse=True)
        return [replace(u, problems=()) for u in mine[:limit]]  # a summary: no report

    async def add_token(
        self, supplier_id: int, token_hash: str, label: str, staff_id: int | None, at: datetime
    ) -> int:
        if any(h == token_hash for _, h in self.s.supplier_tokens.values()):
            raise Conflict(label)  # the database's unique index refuses it too
        token_id = self.s.new_id()
        token = SupplierToken(token_id, supplier_id, label, at, None)
        self.s.supplier_tokens[token_id] = (token, token_hash)
        return token_id

    async def tokens(self, supplier_id: int) -> list[SupplierToken]:
        mine = [t for t, _ in self.s.supplier_tokens.values() if t.supplier_id == supplier_id]
        return sorted(mine, key=lambda t: t.id, reverse=True)

    async def revoke_token(self, supplier_id: int, token_id: int, at: datetime) -> bool:
        found = self.s.supplier_tokens.get(token_id)
        if found is None or found[0].supplier_id != supplier_id or found[0].revoked_at:
            return False
        self.s.supplier_tokens[token_id] = (replace(found[0], revoked_at=at), found[1])
        return True

    async def supplier_for_token(self, token_hash: str) -> int | None:
        return next(
            (
                t.supplier_id
                for t, h in self.s.supplier_tokens.values()
                if h == token_hash and t.revoked_at is None
            ),
            None,
        )

    async def period_counts(
        self, supplier_id: int, period: BillingPeriod, by: datetime | None = None
    ) -> PeriodCounts:
        mine = {
            m.id: m for m in self.s.meters.values() if self.s.supplier_of_meter(m) == supplier_id
        }
        accepted = [
            r
            for r in self.s.readings
            if r.meter_id in mine
            and r.period == period
            and r.status is ReadingStatus.ACCEPTED
            and released(r, by)
        ]
        active = {i for i, m in mine.items() if m.status is MeterStatus.ACTIVE}
        sent = active & {r.meter_id for r in accepted}
        hours: dict[tuple[datetime, str], int] = {}
        for r in accepted:
            hour = r.submitted_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            hours[(hour, r.channel.value)] = hours.get((hour, r.channel.value), 0) + 1
        counted = tuple(HourlyReadings(h, c, n) for (h, c), n in hours.items())
        return PeriodCounts(len(active), len(sent), counted)


_unit: ContextVar[InMemoryTransaction | None] = ContextVar("fake_unit", default=None)


def current_unit() -> InMemoryTransaction:
    unit = _unit.get()
    if unit is None:
        raise RuntimeError("a repository was called outside a transaction")
    return unit


class InMemoryUploadProgress:
    """UploadProgressLog: writes straight to the committed state (a transaction of its own) and
    records each report. `locked` stands for SQLite's write lock held by a running import: calls
    then do nothing. (The fake publishes whole states on commit, so a transaction open across a
    report would put the old count back; the database has no such effect.)"""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.reports: list[tuple[int, int, datetime]] = []
        self.locked = False

    async def report(self, upload_id: int, rows: int, at: datetime) -> bool:
        self.reports.append((upload_id, rows, at))
        found = self.store.state.uploads.get(upload_id)
        if self.locked or found is None or found.status != "running":
            return False
        self.store.state.uploads[upload_id] = replace(found, rows=rows, heartbeat_at=at)
        return True

    async def cut_off(self, supplier_id: int, stale_before: datetime, at: datetime) -> int:
        uploads = self.store.state.uploads
        stale = [
            u
            for u in uploads.values()
            if u.supplier_id == supplier_id
            and u.status == "running"
            and (u.heartbeat_at or u.created_at) < stale_before
        ]
        if self.locked:
            return 0
        cut = (RejectedRow(0, (Violation("portal.upload_cut_off"),)),)
        for u in stale:
            uploads[u.id] = replace(u, status="failed", finished_at=at, problems=cut)
        return len(stale)


class InMemoryTransaction:
    """A transaction of the fake database: a copy of the committed state, published on
    commit; the store's repositories act on it while it is open in the calling task."""

    def __init__(self, store: InMemoryStore, write: bool) -> None:
        self.store = store
        self.write = write
        self.committed = False

    async def __aenter__(self) -> Self:
        self.working = copy.deepcopy(self.store.state)
        self._token = _unit.set(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _unit.reset(self._token)

    async def commit(self) -> None:
        self.store.state = copy.deepcopy(self.working)
        self.store.commits += 1
        self.committed = True


class FakeStorageProbe:
    """Answers while the store is up; raises once `broken` is set."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.pings = 0

    async def ping(self) -> None:
        current_unit()  # a probe runs in a transaction, as the database's does
        self.pings += 1
        if self.store.broken:
            raise ConnectionError("storage is down")


@dataclass
class FeedRow:
    supplier_id: int
    reading_id: int
    replaces_id: int | None
    period: int
    position: int | None = None


class InMemorySupplierFeed(_Repos):
    """SupplierFeed in memory: a transaction is one at a time here, so the head's lock is too."""

    async def sequence(self, supplier_id: int) -> FeedHead:
        head = self.s.feed_heads.setdefault(supplier_id, FeedHead())
        position = head.position
        for row in self.s.feed:
            if row.supplier_id == supplier_id and row.position is None:
                position += 1
                row.position = position
        self.s.feed_heads[supplier_id] = replace(head, position=position)
        return self.s.feed_heads[supplier_id]

    async def head(self, supplier_id: int) -> FeedHead:
        return self.s.feed_heads.get(supplier_id, FeedHead())

    async def waiting_suppliers(self) -> list[int]:
        return sorted({r.supplier_id for r in self.s.feed if r.position is None})

    async def items(
        self, supplier_id: int, after: int, through: int
    ) -> AsyncIterator[Sequence[FeedItem]]:
        readings = {r.id: r for r in self.s.readings}
        rows = sorted(
            (r for r in self.s.feed if r.supplier_id == supplier_id and r.position is not None),
            key=lambda r: r.position or 0,
        )
        chunk = []
        for row in rows:
            if not after < (row.position or 0) <= through:
                continue
            reading = readings[row.reading_id]
            meter = self.s.meters[reading.meter_id]
            account = self.s.accounts[meter.account_id]
            old = readings.get(row.replaces_id) if row.replaces_id else None
            chunk.append(
                FeedItem(
                    row.position or 0,
                    reading.receipt,
                    old.receipt if old else None,
                    account.number,
                    meter.serial,
                    meter.service.value,
                    reading.register,
                    str(reading.period),
                    Decimal(format_value(reading.value, meter.decimals)),
                    reading.submitted_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    reading.channel.value,
                )
            )
        yield chunk

    async def write_json(self, supplier_id: int, after: int, through: int, sink: Sink) -> None:
        await write_items(self.items(supplier_id, after, through), sink)

    async def fetched(self, supplier_id: int, at: datetime) -> None:
        head = self.s.feed_heads.setdefault(supplier_id, FeedHead())
        self.s.feed_heads[supplier_id] = replace(head, fetched_at=at)

    async def ack(self, supplier_id: int, position: int, at: datetime) -> None:
        head = self.s.feed_heads.setdefault(supplier_id, FeedHead())
        self.s.feed_heads[supplier_id] = replace(head, acked=position, acked_at=at)

    async def deliveries(self, supplier_id: int, periods: int) -> list[PeriodDelivery]:
        head = await self.head(supplier_id)
        delivered_batches = [
            b
            for b in self.s.webhook_batches.values()
            if b.supplier_id == supplier_id and b.state == "delivered" and b.first_position
        ]
        counts: dict[int, list[int]] = {}
        for row in self.s.feed:
            if row.supplier_id != supplier_id:
                continue
            pos = row.position
            done = pos is not None and (
                pos <= head.acked
                or any(
                    (b.first_position or 0) <= pos <= (b.last_position or 0)
                    for b in delivered_batches
                )
            )
            count = counts.setdefault(row.period, [0, 0])
            count[0] += 1
            count[1] += int(done)
        newest = sorted(counts, reverse=True)[:periods]
        return [PeriodDelivery(p, counts[p][0], counts[p][1]) for p in newest]


class InMemoryWebhookBook(_Repos):
    """WebhookBook in memory; each supplier's webhook lives on its feed head."""

    async def set_webhook(self, supplier_id: int, url: str | None, secret: str | None) -> None:
        head = self.s.feed_heads.setdefault(supplier_id, FeedHead())
        kept = None if url is None else (secret or head.webhook_secret)
        self.s.feed_heads[supplier_id] = replace(head, webhook_url=url, webhook_secret=kept)
        batched = self._batched(supplier_id)
        if url is not None and batched < head.acked:
            self._set_batched(supplier_id, head.acked)

    async def hooked_suppliers(self) -> list[int]:
        return sorted(
            sid for sid, h in self.s.feed_heads.items() if h.webhook_url and h.webhook_secret
        )

    def _batched(self, supplier_id: int) -> int:
        return self.s.webhook_batched.get(supplier_id, 0)

    def _set_batched(self, supplier_id: int, position: int) -> None:
        self.s.webhook_batched[supplier_id] = position

    async def cut_batches(
        self, supplier_id: int, through: int, size: int, at: datetime, give_up_at: datetime
    ) -> int:
        made = 0
        for first in range(self._batched(supplier_id) + 1, through + 1, size):
            last = min(first + size - 1, through)
            self._add(supplier_id, "readings.changes", at, give_up_at, first, last, None)
            self._set_batched(supplier_id, last)
            made += 1
        return made

    def _add(
        self,
        supplier_id: int,
        kind: str,
        at: datetime,
        give_up_at: datetime,
        first: int | None,
        last: int | None,
        payload: str | None,
    ) -> str:
        batch_id = self.s.new_id()
        event_id = f"msg_{batch_id}"
        self.s.webhook_batches[batch_id] = WebhookBatch(
            batch_id, supplier_id, event_id, kind, first, last, payload, at, give_up_at,
            "waiting", 0,
        )  # fmt: skip
        self._due[batch_id] = (at, None, None)
        return event_id

    @property
    def _due(self) -> dict[int, tuple[datetime, datetime | None, str | None]]:
        return self.s.webhook_due

    async def enqueue(
        self, supplier_id: int, event_type: str, data: str, at: datetime, give_up_at: datetime
    ) -> str | None:
        if supplier_id not in await self.hooked_suppliers():
            return None
        return self._add(supplier_id, event_type, at, give_up_at, None, None, data)

    async def claim(
        self, worker: str, limit: int, now: datetime, lease_until: datetime
    ) -> list[WebhookBatch]:
        claimed = []
        for batch_id, batch in sorted(self.s.webhook_batches.items()):
            next_at, lease, _ = self._due[batch_id]
            due = (batch.state == "waiting" and next_at <= now) or (
                batch.state == "sending" and lease is not None and lease < now
            )
            if not due or len(claimed) >= limit:
                continue
            taken = replace(batch, state="sending", attempts=batch.attempts + 1)
            self.s.webhook_batches[batch_id] = taken
            self._due[batch_id] = (next_at, lease_until, worker)
            head = self.s.feed_heads.get(batch.supplier_id, FeedHead())
            claimed.append(replace(taken, url=head.webhook_url, secret=head.webhook_secret))
        return claimed

    async def finish(
        self,
        batch_id: int,
        worker: str,
        *,
        state: str,
        at: datetime,
        error: str | None = None,
        next_at: datetime | None = None,
    ) -> bool:
        batch = self.s.webhook_batches[batch_id]
        due, _, owner = self._due[batch_id]
        if batch.state != "sending" or owner != worker:
            return False
        delivered = at if state == "delivered" else batch.delivered_at
        self.s.webhook_batches[batch_id] = replace(
            batch, state=state, last_error=error, delivered_at=delivered
        )
        self._due[batch_id] = (next_at or due, None, owner)
        return True

    async def batches(self, supplier_id: int, state: str, limit: int) -> list[WebhookBatch]:
        found = [
            b
            for b in self.s.webhook_batches.values()
            if b.supplier_id == supplier_id and b.state == state
        ]
        return sorted(found, key=lambda b: -b.id)[:limit]

    async def resend(
        self, supplier_id: int, batch_id: int, at: datetime, give_up_at: datetime
    ) -> bool:
        batch = self.s.webhook_batches.get(batch_id)
        if batch is None or batch.supplier_id != supplier_id or batch.state != "failed":
            return False
        self.s.webhook_batches[batch_id] = replace(
            batch, state="waiting", attempts=0, give_up_at=give_up_at
        )
        self._due[batch_id] = (at, None, None)
        return True


LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)  # a link made before the fakes kept its moment


class InMemoryAccountResidents(_Repos):
    """AccountResidents: the links with their moments; addresses chosen as SqlAccountResidents
    chooses them (reminder channel with consent, a reachable messenger, the login)."""

    async def of_account(self, account_id: int) -> list[LinkedResident]:
        found = [
            LinkedResident(r, self.s.residents.get(r, ""), self.s.linked_at.get((r, a), LONG_AGO))
            for (r, a) in self.s.links
            if a == account_id
        ]
        return sorted(found, key=lambda x: (x.linked_at, x.resident_id))

    async def names(self, resident_ids: Sequence[int]) -> dict[int, str]:
        return {r: self.s.residents[r] for r in resident_ids if r in self.s.residents}

    async def notice_addresses(self, resident_ids: Sequence[int]) -> dict[int, NoticeAddress]:
        found = {}
        for r in resident_ids:
            address = self._address(r)
            if address is not None:
                found[r] = address
        return found

    def _address(self, resident_id: int) -> NoticeAddress | None:
        p = self.s.profiles.get(resident_id)
        lang = p.language if p else None
        messengers = {
            i.channel: i
            for i in sorted(self.s.identities.values(), key=lambda i: i.external_id, reverse=True)
            if i.resident_id == resident_id
            and i.channel in ("telegram", "viber")
            and (i.channel, i.external_id) not in self.s.unreachable
        }
        if p and p.reminder_consent_at and p.reminder_channel in ("email", "sms") and p.contact:
            return NoticeAddress(p.reminder_channel, p.contact, p.language)
        order = ([p.reminder_channel] if p and p.reminder_consent_at else []) + [
            "telegram",
            "viber",
        ]
        for channel in order:
            if channel in messengers:
                i = messengers[channel]
                return NoticeAddress(channel, i.external_id, lang or i.language)
        login = next(
            (w.login for w in self.s.web_logins.values() if w.resident_id == resident_id), None
        )
        if login:
            return NoticeAddress("email" if "@" in login else "sms", login, lang or "uk")
        return None


class InMemoryCaretakers(_Repos):
    def _active(self, resident_id: int, caretaker_id: int) -> list[object] | None:
        return next(
            (
                c
                for c in self.s.caretakers
                if c[0] == resident_id and c[1] == caretaker_id and c[3] is None
            ),
            None,
        )

    async def start(self, resident_id: int, caretaker_id: int, at: datetime) -> bool:
        if self._active(resident_id, caretaker_id) is not None:
            return False
        self.s.caretakers.append([resident_id, caretaker_id, at, None])
        return True

    async def end(self, resident_id: int, caretaker_id: int, at: datetime) -> bool:
        row = self._active(resident_id, caretaker_id)
        if row is None:
            return False
        row[3] = at
        return True

    async def is_active(self, resident_id: int, caretaker_id: int) -> bool:
        return self._active(resident_id, caretaker_id) is not None

    def _list(self, column: int, person: int) -> list[Caretaking]:
        names = self.s.residents
        return [
            Caretaking(r, names.get(r, ""), c, names.get(c, ""), at)  # type: ignore[arg-type]
            for r, c, at, ended in self.s.caretakers
            if ended is None and (r, c)[column] == person
        ]

    async def of_resident(self, resident_id: int) -> list[Caretaking]:
        return self._list(0, resident_id)

    async def cared_for_by(self, caretaker_id: int) -> list[Caretaking]:
        return self._list(1, caretaker_id)


@dataclass
class AlertRow:
    new: NewAlert
    state: str = "waiting"
    attempts: int = 0
    claimed_by: str | None = None
    lease_until: datetime | None = None
    channel: str = ""
    detail: str = ""
    confirmed_at: datetime | None = None


class InMemoryAlertBook(_Repos):
    """AlertQueue and AlertBook as the databases keep them: one notice per meter, period and
    resident, claimed with a lease; the recipient is the reminder channel with consent, else the
    resident's identity on the messenger the reading came by."""

    async def add(self, alerts: Sequence[NewAlert]) -> None:
        for alert in alerts:
            key = (alert.meter_id, alert.period, alert.resident_id)
            found = next((r for r in self.s.alerts.values() if _alert_key(r.new) == key), None)
            if found is None:
                self.s.alerts[self.s.new_id()] = AlertRow(alert)
            elif found.state in ("waiting", "withdrawn"):
                found.new, found.state = alert, "waiting"

    async def claim(self, worker: str, limit: int, now: datetime, lease: timedelta) -> AlertClaim:
        rows = sorted(self.s.alerts.items())
        lapsed = [r for _, r in rows if r.state == "sending" and r.lease_until <= now]  # type: ignore[operator]
        for row in lapsed:
            row.state, row.claimed_by = "unknown", None
        free = [
            (i, r)
            for i, r in rows
            if r.state == "waiting" and (r.lease_until is None or r.lease_until <= now)
        ][:limit]
        for _, row in free:
            row.claimed_by, row.lease_until = worker, now + lease
        return AlertClaim([self._claimed(i, r) for i, r in free], len(lapsed))

    def _claimed(self, alert_id: int, row: AlertRow) -> ClaimedAlert:
        new, s = row.new, self.s
        meter = s.meters[new.meter_id]
        account = s.accounts[meter.account_id]
        chosen = InMemoryReminderBook(s)._recipients()
        recipient = next((r for r in chosen if r.resident_id == new.resident_id), None)
        if recipient is None and new.via in ("telegram", "viber"):
            address = min(
                (
                    i.external_id
                    for i in s.identities.values()
                    if (i.resident_id, i.channel) == (new.resident_id, new.via)
                    and (i.channel, i.external_id) not in s.unreachable
                ),
                default=None,
            )
            if address is not None:
                profile = s.profiles.get(new.resident_id)
                language = (
                    profile.language if profile else s.identities[(new.via, address)].language
                )
                name = s.residents.get(new.resident_id, "")
                recipient = Recipient(new.resident_id, name, new.via, address, language)
        current = any(
            r.receipt == new.receipt and r.status is ReadingStatus.ACCEPTED for r in s.readings
        )
        u = new.unusual
        return ClaimedAlert(
            alert_id,
            new.period.index,
            u.code,
            u.used,
            u.usual,
            u.months,
            u.cap,
            meter.service.value,
            meter.serial,
            account.number,
            recipient,
            current,
            row.attempts,
        )

    async def begin_attempt(
        self, alert_id: int, worker: str, now: datetime, until: datetime
    ) -> bool:
        row = self.s.alerts[alert_id]
        lease = row.lease_until
        if row.state != "waiting" or row.claimed_by != worker or lease is None or lease <= now:
            return False
        row.state, row.attempts, row.lease_until = "sending", row.attempts + 1, until
        return True

    async def finish(
        self, alert_id: int, state: str, at: datetime, channel: str = "", detail: str = ""
    ) -> None:
        row = self.s.alerts[alert_id]
        if row.state in ("waiting", "sending"):
            row.state, row.channel, row.detail = state, channel, detail
            row.claimed_by, row.lease_until = None, None

    async def retry(self, alert_id: int, at: datetime, detail: str) -> None:
        row = self.s.alerts[alert_id]
        if row.state == "sending":
            row.state, row.claimed_by, row.lease_until, row.detail = "waiting", None, at, detail

    async def confirm(self, alert_id: int, at: datetime, resident_id: int | None = None) -> bool:
        row = self.s.alerts.get(alert_id)
        if row is None or (resident_id is not None and row.new.resident_id != resident_id):
            return False
        row.confirmed_at = row.confirmed_at or at
        if row.state in ("waiting", "withdrawn"):
            row.state, row.claimed_by, row.lease_until = "confirmed", None, None
        return True

    async def of_resident(self, resident_id: int, limit: int) -> list[ResidentAlert]:
        mine = [(i, r) for i, r in self.s.alerts.items() if r.new.resident_id == resident_id]
        mine.sort(key=lambda p: (p[1].new.at, p[0]), reverse=True)
        found = []
        for i, r in mine[:limit]:
            meter = self.s.meters[r.new.meter_id]
            u = r.new.unusual
            found.append(
                ResidentAlert(
                    i,
                    r.new.period.index,
                    u.code,
                    u.used,
                    u.usual,
                    meter.service.value,
                    meter.serial,
                    r.state,
                    r.new.at,
                    r.confirmed_at,
                )
            )
        return found


def _alert_key(new: NewAlert) -> tuple[int, BillingPeriod, int]:
    return (new.meter_id, new.period, new.resident_id)


class InMemoryPhoneBook(_Repos):
    async def code_of(self, resident_id: int) -> PhoneCode | None:
        return self.s.phone_codes.get(resident_id)

    async def save_code(self, code: PhoneCode) -> None:
        self.s.phone_codes[code.resident_id] = code

    async def drop_code(self, resident_id: int) -> None:
        self.s.phone_codes.pop(resident_id, None)

    async def link(self, phone: str, resident_id: int, at: datetime) -> None:
        for old in [p for p, (r, _) in self.s.phone_links.items() if r == resident_id]:
            del self.s.phone_links[old]
        self.s.phone_links[phone] = (resident_id, at)

    async def owner_of(self, phone: str) -> PhoneOwner | None:
        found = self.s.phone_links.get(phone)
        if found is None:
            return None
        profile = self.s.profiles.get(found[0])
        return PhoneOwner(found[0], profile.language if profile else "uk")

    async def phone_of(self, resident_id: int) -> str | None:
        return next((p for p, (r, _) in self.s.phone_links.items() if r == resident_id), None)


class InMemoryInboundSms(_Repos):
    async def answered(self, gateway_id: str) -> bool:
        return gateway_id in self.s.sms_inbound

    async def record(self, gateway_id: str, phone: str, at: datetime) -> bool:
        if gateway_id in self.s.sms_inbound:
            return False
        self.s.sms_inbound[gateway_id] = (phone, at)
        return True


class InMemoryStore:
    """The fake database: `state` is what has been committed."""

    def __init__(self) -> None:
        self.state = State()
        self.commits = 0
        self.broken = False
        self.units: list[InMemoryTransaction] = []
        # One repository of each kind, on the state of the transaction the caller has open.
        self.suppliers = InMemorySuppliers()
        self.accounts = InMemoryAccounts()
        self.meters = InMemoryMeters()
        self.meter_list = InMemoryMeterList()
        self.readings = InMemoryReadings()
        self.submissions = InMemorySubmissions()
        self.audit = InMemoryAudit()
        self.link_attempts = InMemoryLinkAttempts()
        self.account_residents = InMemoryAccountResidents()
        self.caretakers = InMemoryCaretakers()
        self.residents = InMemoryResidents()
        self.tokens = InMemoryTokens()
        self.tariffs = InMemoryTariffs()
        self.identities = InMemoryIdentities()
        self.media = InMemoryMedia()
        self.registry = InMemoryRegistry()
        self.queries = InMemoryQueries()
        self.web_logins = InMemoryWebLogins()
        self.staff = InMemoryStaff()
        self.web_sessions = InMemoryWebSessions()
        self.sign_in_attempts = InMemorySignInAttempts()
        self.one_time_tokens = InMemoryOneTimeTokens()
        self.outbox = InMemoryOutbox()
        self.profiles = InMemoryProfiles()
        self.supplier_portal = InMemorySupplierPortal()
        self.period_files = InMemoryPeriodFiles()
        self.supplier_events = InMemorySupplierEvents()
        self.upload_progress = InMemoryUploadProgress(self)
        self.account_search = InMemoryAccountSearch()
        self.audit_trail = InMemoryAuditTrail()
        self.supplier_catalog = InMemorySupplierCatalog()
        self.storage_probe = FakeStorageProbe(self)
        self.expired_rows = FakeExpiredRows()
        self.partitions = FakePartitions()
        self.reminder_rules = InMemoryReminderRules()
        self.reminder_book = InMemoryReminderBook()
        self.feed = InMemorySupplierFeed()
        self.webhooks = InMemoryWebhookBook()
        self.receipt_records = InMemoryReceiptRecords()
        self.photos = InMemoryPhotoStore()
        self.alerts = InMemoryAlertBook()
        self.phones = InMemoryPhoneBook()
        self.inbound_sms = InMemoryInboundSms()

    def __call__(self, *, write: bool = False, autocommit: bool = False) -> InMemoryTransaction:
        unit = InMemoryTransaction(self, write)
        self.units.append(unit)
        return unit


def kyiv(
    year: int, month: int, day: int, hour: int = 12, minute: int = 0, second: int = 0
) -> datetime:
    """A Kyiv wall-clock time as an aware UTC instant."""
    local = datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo("Europe/Kyiv"))
    return local.astimezone(UTC)


class FakeCharts:
    """Records each chart asked for; returns a tiny stand-in picture."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str], list[float], str]] = []
        self.zone_calls: list[tuple[str, list[str], list[ZoneUse], str]] = []
        self.axes: list[str] = []

    def consumption_chart(
        self,
        title: str,
        labels: Sequence[str],
        values: Sequence[float],
        unit: str,
        period_axis: str = "",
    ) -> bytes:
        self.calls.append((title, list(labels), list(values), unit))
        self.axes.append(period_axis)
        return b"\x89PNG fake"

    def zones_chart(
        self,
        title: str,
        periods: Sequence[str],
        zones: Sequence[ZoneUse],
        unit: str,
        period_axis: str = "",
    ) -> bytes:
        self.zone_calls.append((title, list(periods), list(zones), unit))
        self.axes.append(period_axis)
        return b"\x89PNG zones"


class FakePartitions:
    """`Partitions` that records when it was asked to make the months ahead."""

    def __init__(self) -> None:
        self.asked: list[datetime] = []

    async def create_ahead(self, now: datetime) -> int:
        self.asked.append(now)
        return 0


class FakeExpiredRows:
    """`ExpiredRows` over counts of rows past their use, by kind; records each call's cutoff."""

    def __init__(self, waiting: dict[str, int] | None = None, stale_imports: int = 0) -> None:
        self.waiting = dict(waiting or {})
        self.stale_imports = stale_imports
        self.calls: list[tuple[str, datetime, int]] = []
        self.abandoned_before: datetime | None = None

    async def delete(self, kind: str, before: datetime, limit: int) -> int:
        self.calls.append((kind, before, limit))
        done = min(limit, self.waiting.get(kind, 0))
        self.waiting[kind] = self.waiting.get(kind, 0) - done
        return done

    async def abandon_imports(self, started_before: datetime) -> int:
        self.abandoned_before = started_before
        abandoned, self.stale_imports = self.stale_imports, 0
        return abandoned


def tampered(token: str) -> str:
    """A signed token with one character of its signature changed, so it never verifies. Not
    its last two: base64 leaves the last character's low bits unused, so changing the tail
    ("…xy" to "…xx") may decode to the same signature (a flaky test, once in about a thousand
    runs)."""
    at = len(token) - 5
    return token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :]
