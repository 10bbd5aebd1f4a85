"""In-memory fakes of every port, for use-case tests: fast, no I/O, and they record what they
were given. A unit of work copies the state on entry and publishes it on commit, so a rollback
(leaving without commit) really leaves nothing behind."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import Self
from zoneinfo import ZoneInfo

from komunalka.application.accounts.ports import Attempts
from komunalka.application.identity.ports import (
    Identity,
    ResidentProfile,
    WebLogin,
    WebSession,
)
from komunalka.application.readings.ports import Claim, NewSubmission, SubmissionSnapshot
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import Conflict, MeterContext, OutgoingMessage, StaffRecord
from komunalka.application.suppliers.formats import readings_csv
from komunalka.application.suppliers.ports import ExportRow, MergeCounts, NonSubmitter, StagedRow
from komunalka.domain.meters import Account, Meter, MeterStatus, Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, ReadingStatus
from komunalka.domain.services import Channel
from komunalka.domain.staff import StaffMember
from komunalka.domain.tariffs import Tariff
from komunalka.domain.values import format_value, from_milli


class FakeClock:
    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


@dataclass
class State:
    suppliers: dict[int, Supplier] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    meters: dict[int, Meter] = field(default_factory=dict)
    readings: list[Reading] = field(default_factory=list)
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    attempts: list[tuple[int, int, str, bool, datetime]] = field(default_factory=list)
    residents: dict[int, str] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    submissions: dict[tuple[str, str | None], Claim] = field(default_factory=dict)
    revisions: dict[int, int] = field(default_factory=dict)
    audit: list[tuple[Actor, str, str, dict[str, object]]] = field(default_factory=list)
    staged: list[StagedRow] = field(default_factory=list)
    tariffs: list[Tariff] = field(default_factory=list)
    identities: dict[tuple[str, str], Identity] = field(default_factory=dict)
    media: dict[str, tuple[bytes, str, datetime]] = field(default_factory=dict)
    web_logins: dict[str, WebLogin] = field(default_factory=dict)
    staff: dict[int, StaffRecord] = field(default_factory=dict)
    web_sessions: dict[str, WebSession] = field(default_factory=dict)
    sign_in_attempts: list[tuple[str, bool, datetime]] = field(default_factory=list)
    one_time_tokens: dict[str, tuple[str, int, datetime, datetime | None]] = field(
        default_factory=dict
    )
    outbox: dict[int, tuple[OutgoingMessage, datetime | None]] = field(default_factory=dict)
    profiles: dict[int, ResidentProfile] = field(default_factory=dict)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


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

    async def of_accounts(self, account_ids: Sequence[int]) -> list[Meter]:
        return [m for m in self.s.meters.values() if m.account_id in account_ids]

    async def by_serials(self, supplier_id: int, serials: Sequence[str]) -> list[Meter]:
        return [
            m
            for m in self.s.meters.values()
            if m.serial in serials and self.s.accounts[m.account_id].supplier_id == supplier_id
        ]


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
            self.s.readings.append(replace(r, id=self.s.new_id()))

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
        claim = Claim(self.s.new_id(), True, new.fingerprint, new.at)
        subject = f"submission:{claim.submission_id}"
        self.s.audit.append((new.actor, "readings.submit", subject, {"key": key}))
        if key is not None:
            self.s.submissions[(new.actor.key, key)] = claim
        for meter_id in new.revisions:
            self.s.revisions[meter_id] = self.s.revisions.get(meter_id, 0) + 1
        self.s.readings = [
            replace(r, status=ReadingStatus.SUPERSEDED) if r.id in new.superseded else r
            for r in self.s.readings
        ]
        for r in new.readings:
            self.s.readings.append(
                replace(r, id=self.s.new_id(), submission_id=claim.submission_id)
            )
        return claim


class InMemoryAudit(_Repos):
    async def record(
        self, actor: Actor, action: str, subject: str, details: Mapping[str, object], at: datetime
    ) -> None:
        self.s.audit.append((actor, action, subject, dict(details)))


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
    def __init__(self) -> None:
        self.states: dict[tuple[str, str], dict[str, object]] = {}
        self.deliveries: set[tuple[str, str]] = set()

    async def load(self, channel: str, external_id: str) -> dict[str, object] | None:
        found = self.states.get((channel, external_id))
        return copy.deepcopy(found) if found is not None else None

    async def save(self, channel: str, external_id: str, state: dict[str, object]) -> None:
        self.states[(channel, external_id)] = copy.deepcopy(state)

    async def receive(
        self, channel: str, external_id: str, delivery_id: str
    ) -> tuple[bool, dict[str, object] | None]:
        if (channel, delivery_id) in self.deliveries:
            return False, None
        self.deliveries.add((channel, delivery_id))
        return True, await self.load(channel, external_id)


class InMemoryMedia(_Repos):
    async def add(self, token: str, content: bytes, content_type: str, at: datetime) -> None:
        self.s.media[token] = (content, content_type, at)

    async def get(self, token: str, since: datetime) -> tuple[bytes, str] | None:
        found = self.s.media.get(token)
        return (found[0], found[1]) if found and found[2] >= since else None

    async def forget_before(self, before: datetime) -> None:
        self.s.media = {k: v for k, v in self.s.media.items() if v[2] >= before}


class InMemoryTariffs(_Repos):
    async def of_supplier(self, supplier_id: int) -> list[Tariff]:
        return [t for t in self.s.tariffs if t.supplier_id == supplier_id]

    async def add(self, tariff: Tariff) -> None:
        self.s.tariffs.append(tariff)


class InMemoryRegistry(_Repos):
    async def load(
        self,
        chunks: AsyncIterator[list[StagedRow]],
        at: datetime,
        on_duplicate: Callable[[int], None],
    ) -> MergeCounts:
        seen: set[tuple[int, str]] = set()
        staged = duplicates = accounts = meters = added = replaced = 0
        async for chunk in chunks:
            for item in chunk:
                staged += 1
                key = (item.supplier_id, item.row.serial)
                if key in seen:
                    duplicates += 1
                    on_duplicate(item.line)
                    continue
                seen.add(key)
                new_account, new_readings = self._land(item, at)
                accounts += new_account
                meters += 1
                added += new_readings
                replaced += item.row.status is MeterStatus.REPLACED
        return MergeCounts(staged, duplicates, accounts, meters, added, replaced)

    def _land(self, item: StagedRow, at: datetime) -> tuple[int, int]:
        row = item.row
        account = next(
            (
                a
                for a in self.s.accounts.values()
                if (a.supplier_id, a.number) == (item.supplier_id, row.account)
            ),
            None,
        )
        created = account is None
        if account is None:
            account = Account(
                self.s.new_id(), item.supplier_id, row.account, row.holder, row.address
            )
            self.s.accounts[account.id] = account
        existing = next(
            (
                m
                for m in self.s.meters.values()
                if m.serial == row.serial
                and self.s.accounts[m.account_id].supplier_id == item.supplier_id
            ),
            None,
        )
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
        )
        self.s.meters[meter.id] = meter
        added = 0
        if row.period is not None:
            for register, milli in zip(row.registers, row.values_milli, strict=True):
                if any(
                    r.meter_id == meter.id
                    and r.register == register
                    and r.period == row.period
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
        return int(created), added


class InMemoryQueries(_Repos):
    """ReadingExports and NonSubmitterQuery on the fake's state; the CSV is `readings_csv`'s."""

    async def export_csv(
        self, supplier_id: int, period: BillingPeriod, sink: Callable[[bytes], Awaitable[None]]
    ) -> None:
        await sink(readings_csv((), header=True))
        async for chunk in self.export_rows(supplier_id, period):
            await sink(readings_csv(chunk))

    async def export_rows(
        self, supplier_id: int, period: BillingPeriod
    ) -> AsyncIterator[Sequence[ExportRow]]:
        rows: list[ExportRow] = []
        for r in self.s.readings:
            meter = self.s.meters.get(r.meter_id)
            if meter is None or r.period != period or r.status is not ReadingStatus.ACCEPTED:
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
        self, supplier_id: int, period: BillingPeriod
    ) -> AsyncIterator[NonSubmitter]:
        sent = {r.meter_id for r in self.s.readings if r.period == period}
        for m in self.s.meters.values():
            account = self.s.accounts[m.account_id]
            if account.supplier_id == supplier_id and m.id not in sent:
                yield NonSubmitter(
                    account.number, account.holder, account.address, m.serial, m.service.value
                )


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

    async def add(self, key: str, success: bool, at: datetime) -> None:
        self.s.sign_in_attempts.append((key, success, at))


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


class InMemoryOutbox(_Repos):
    """The outbox; `fail` makes `add` raise, as a database refusing the row would."""

    def __init__(self, state: State | None = None) -> None:
        super().__init__(state)
        self.fail = False

    async def add(self, message: OutgoingMessage, at: datetime) -> None:
        if self.fail:
            raise ConnectionError("the outbox cannot be written")
        self.s.outbox[self.s.new_id()] = (message, None)

    async def unsent(self, limit: int) -> list[tuple[int, OutgoingMessage]]:
        waiting = [(i, m) for i, (m, sent) in sorted(self.s.outbox.items()) if sent is None]
        return waiting[:limit]

    async def mark_sent(self, message_id: int, at: datetime) -> None:
        message, _ = self.s.outbox[message_id]
        self.s.outbox[message_id] = (message, at)


class InMemoryProfiles(_Repos):
    async def get(self, resident_id: int) -> ResidentProfile | None:
        return self.s.profiles.get(resident_id)

    async def save(self, profile: ResidentProfile) -> None:
        self.s.profiles[profile.resident_id] = profile

    async def identities_of(self, resident_id: int) -> list[Identity]:
        found = [i for i in self.s.identities.values() if i.resident_id == resident_id]
        return sorted(found, key=lambda i: i.channel)


_unit: ContextVar[InMemoryTransaction | None] = ContextVar("fake_unit", default=None)


def current_unit() -> InMemoryTransaction:
    unit = _unit.get()
    if unit is None:
        raise RuntimeError("a repository was called outside a transaction")
    return unit


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
        self.readings = InMemoryReadings()
        self.submissions = InMemorySubmissions()
        self.audit = InMemoryAudit()
        self.link_attempts = InMemoryLinkAttempts()
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
        self.supplier_portal: object = None
        # staff's account search, audit trail and supplier catalogue: the console's, no fakes
        self.account_search: object = None
        self.audit_trail: object = None
        self.supplier_catalog: object = None
        self.storage_probe = FakeStorageProbe(self)

    def __call__(self, *, write: bool = False, autocommit: bool = False) -> InMemoryTransaction:
        unit = InMemoryTransaction(self, write)
        self.units.append(unit)
        return unit


def kyiv(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A Kyiv wall-clock time as an aware UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Europe/Kyiv")).astimezone(UTC)


class FakeCharts:
    """Records each chart asked for; returns a tiny stand-in picture."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str], list[float], str]] = []

    def consumption_chart(
        self, title: str, labels: Sequence[str], values: Sequence[float], unit: str
    ) -> bytes:
        self.calls.append((title, list(labels), list(values), unit))
        return b"\x89PNG fake"
