"""Ports more than one feature uses. Each feature keeps its own narrow ports in its package;
what several of them name lives here, and features meet only through this module."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from komunalka.application.shared.actors import Actor
from komunalka.domain.meters import Account, Meter, Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading
from komunalka.domain.staff import StaffMember
from komunalka.domain.tariffs import Tariff

# --- readings: meters, their readings and the audit log ------------------------------------


@dataclass(frozen=True, slots=True)
class MeterContext:
    """A meter with what a submission needs to judge it: its supplier and account."""

    meter: Meter
    account: Account
    supplier: Supplier
    # Whether the resident the request is for has linked the meter's account.
    linked: bool = False
    # Accepted readings by register, oldest first (filled by a submission's snapshot only).
    history: Mapping[str, Sequence[Reading]] = field(default_factory=dict)
    # Moves on with every change to the meter's readings: a submission judged against one
    # revision is written only while the meter is still at it.
    revision: int = 0
    # Its supplier's tariffs, oldest first (filled by a meter list asked for them only).
    tariffs: Sequence[Tariff] | None = None


class MeterRepository(Protocol):
    async def contexts(
        self, meter_ids: Sequence[int], *, lock: bool, resident_id: int | None = None
    ) -> list[MeterContext]:
        """The meters with their accounts, suppliers and whether `resident_id` linked them;
        `lock` holds them until commit."""
        ...

    async def of_accounts(self, account_ids: Sequence[int]) -> list[Meter]: ...
    async def by_serials(self, supplier_id: int, serials: Sequence[str]) -> list[Meter]: ...


class MeterList(Protocol):
    """A resident's meters as their list shows them: one read on PostgreSQL (docs/adr/0028)."""

    async def linked(
        self, resident_id: int, since: BillingPeriod, *, tariffs: bool = False
    ) -> list[MeterContext]:
        """Every meter of the accounts the resident linked, in the order of their ids, with its
        account and supplier (`linked` true) and its accepted readings of `since` and later
        (`history`); with `tariffs`, its supplier's tariffs too (`tariffs`, else None)."""
        ...


class ReadingRepository(Protocol):
    async def recent(
        self, meter_ids: Sequence[int], since: BillingPeriod
    ) -> dict[tuple[int, str], list[Reading]]:
        """Accepted readings since a period, by (meter, register), oldest first."""
        ...

    async def add(self, readings: Sequence[Reading]) -> None: ...
    async def of_submission(self, submission_id: int) -> list[Reading]: ...
    async def by_receipt(self, receipt: str) -> Reading | None: ...

    async def history(self, meter_id: int, since: BillingPeriod) -> list[Reading]:
        """Every reading of the meter from `since` on (superseded ones too), oldest first."""
        ...


class AuditLog(Protocol):
    """Who did what to which subject, and when; written in the transaction of the change."""

    async def record(
        self, actor: Actor, action: str, subject: str, details: Mapping[str, object], at: datetime
    ) -> None: ...


# --- end of readings' block ---------------------------------------------------------------


# --- identity, accounts, staff, notifications, system ------------------------------------------


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware (UTC)."""
        ...


# Seconds on a clock that only moves forward, at the real pace (time.monotonic): how old a
# process's cached entry is. Never business time: KOMUNALKA_NOW freezes the Clock, not this.
Ticks = Callable[[], float]


class Conflict(Exception):
    """A unique value (a login, a supplier's code) is taken already."""


class SupplierRepository(Protocol):
    async def get(self, supplier_id: int) -> Supplier | None: ...
    async def by_code(self, code: str) -> Supplier | None: ...
    async def all(self) -> list[Supplier]: ...
    async def add(self, supplier: Supplier, services: Sequence[str]) -> Supplier: ...


class AccountRepository(Protocol):
    """Accounts and the residents' links to them."""

    async def by_number(self, supplier_id: int, number: str) -> Account | None: ...
    async def linked_to(self, resident_id: int) -> list[Account]: ...
    async def is_linked(self, resident_id: int, account_id: int) -> bool: ...
    async def link(self, resident_id: int, account_id: int, proof: str, at: datetime) -> bool:
        """Records the link; False when it already existed."""
        ...

    async def unlink(self, resident_id: int, account_id: int) -> bool:
        """Removes the link; False when there was none."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, hashed: str, password: str) -> bool:
        """True when the password matches; never raises for a wrong one."""
        ...


@dataclass(frozen=True, slots=True)
class StaffRecord:
    member: StaffMember
    password_hash: str


class StaffRepository(Protocol):
    """The staff members (identity signs them in, staff manages them)."""

    async def by_login(self, login: str) -> StaffRecord | None: ...
    async def get(self, staff_id: int) -> StaffRecord | None: ...
    async def all(self) -> list[StaffMember]: ...
    async def add(self, member: StaffMember, password_hash: str, at: datetime) -> int:
        """The new member's id; raises `Conflict` when the login is taken."""
        ...

    async def update(self, member: StaffMember, password_hash: str | None = None) -> None: ...


# --- end of identity, accounts, staff, notifications, system -----------------------------------


# --- notifications: the outbox identity and notifications both write to ------------------------


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message to a person, worded by a door in the reader's language: `channel` is "email"
    or "sms", `recipient` the address or number."""

    channel: str
    recipient: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """A message claimed by one worker; `attempts` counts the tries made before this one."""

    id: int
    message: OutgoingMessage
    attempts: int


@dataclass(frozen=True, slots=True)
class OutboxClaim:
    """What `Outbox.claim` took, and how many messages it found whose fate is unknown: an
    attempt began and its lease ran out with no outcome recorded (ADR 0012)."""

    messages: list[ClaimedMessage]
    unknown: int


class Outbox(Protocol):
    """Messages to people, written in the transaction of the change that causes them and sent
    after it commits (notifications' DeliverOutbox), by any number of workers at once.

    A message is "waiting" until claimed; claimed, it belongs to one worker until its lease ends.
    The worker records the attempt ("sending", committed) before it calls the sender, then the
    outcome. A "sending" message whose lease ran out may or may not have gone: `claim` marks it
    "unknown" and counts it, and nobody sends it again by itself (sends have no idempotency
    key). A claimed message never attempted goes back to waiting when its lease ends."""

    async def add(self, message: OutgoingMessage, at: datetime) -> None: ...

    async def claim(self, worker: str, limit: int, now: datetime, lease: timedelta) -> OutboxClaim:
        """Marks "unknown" the attempts whose lease ran out, then claims for `worker` until
        `now + lease` up to `limit` waiting messages whose lease (or retry time) is past, oldest
        first. No message is claimed by two workers whose leases overlap. Runs in a write
        transaction of its own; the caller commits."""
        ...

    async def begin_attempt(
        self, message_id: int, worker: str, now: datetime, until: datetime
    ) -> bool:
        """Records that `worker` is about to send the message, with its lease renewed to
        `until`; False (and nothing changed) when the message is no longer this worker's
        (its lease ran out and another claimed it). Committed before the send."""
        ...

    async def mark_sent(self, message_id: int, at: datetime) -> None:
        """Sent, for good; also after the message was counted unknown (it is now known)."""
        ...

    async def mark_failed(self, message_id: int, error: str, retry_at: datetime | None) -> None:
        """The attempt failed: waiting again from `retry_at`, or "failed" for good when None."""
        ...


class PlannedReminders(Protocol):
    """Reminders waiting for their moment (notifications plans and sends them). Whoever turns a
    resident's reminders off cancels what is queued for them, in the same transaction."""

    async def cancel(self, resident_id: int, at: datetime) -> int:
        """Every planned reminder of the resident is cancelled; returns how many."""
        ...

    async def reachable_again(self, channel: str, address: str) -> None:
        """The resident wrote to the bot: reminders may reach that identity again."""
        ...


class LinkSigner(Protocol):
    """Signs a number into a link's token and reads it back: a link that acts without signing
    in (turning reminders off from an e-mail) carries who it is for, and nobody can forge it."""

    def sign(self, purpose: str, value: int) -> str: ...

    def verify(self, purpose: str, token: str) -> int | None:
        """The number signed for this purpose; None for a token altered or made for another."""
        ...


# --- end of the outbox's block -----------------------------------------------------------------


# --- conversations, charts and tariffs -------------------------------------------------------


class Arrival(StrEnum):
    """What a dialog store found for a delivery (a messenger's id of an update) it was handed."""

    FIRST = "first"  # never seen: carry the turn out
    TAKEN_OVER = "taken_over"  # its turn began but its lease ran out (that process died): again
    UNDER_WAY = "under_way"  # its turn began and its lease is live: another process is on it
    DONE = "done"  # its turn finished: nothing to do


ACTED_ON = (Arrival.FIRST, Arrival.TAKEN_OVER)


class Received(NamedTuple):
    """What `DialogStateStore.receive` found: the delivery's arrival, the user's state to act
    on (None when not acting, or when there is none), and whether the user's identity in the
    channel is marked unreachable (their messenger refused a reminder): True or False when the
    store read it with the rest, None when it cannot tell (a store that keeps no identities), so
    the turn clears the mark without knowing."""

    arrival: Arrival
    state: dict[str, Any] | None
    unreachable: bool | None = None


class DialogStateStore(Protocol):
    """Where each conversation stands: a JSON-able dict per channel and user. In the database by
    default; in Redis in production (a separate adapter, no unit of work).

    A delivery is *under way* from `receive` until the `save` that names it, which marks it
    *done* in the same write as the turn's state (docs/adr/0015-messenger-turns-once.md)."""

    async def load(self, channel: str, external_id: str) -> dict[str, Any] | None: ...

    async def save(
        self,
        channel: str,
        external_id: str,
        state: dict[str, Any],
        delivery_id: str | None = None,
    ) -> None:
        """Saves the user's state; with `delivery_id`, marks that delivery done in the same
        write (one round trip)."""
        ...

    async def receive(self, channel: str, external_id: str, delivery_id: str) -> Received:
        """Records a delivery as under way, with a lease, and loads the user's state, in one
        step. FIRST or TAKEN_OVER (a record whose lease ran out, taken with a new lease) come
        with the state, to act on; UNDER_WAY and DONE with None, not to act on. A store that
        can reads the identity's unreachable mark in the same step (see `Received`).

        The record is made (as durably as the store keeps anything) before this returns, and of
        concurrent calls with one id at most one is told to act."""
        ...


@dataclass(frozen=True, slots=True)
class ZoneUse:
    """One zone's use in each period of a chart, under the name its legend shows."""

    name: str
    values: tuple[float, ...]


class ChartRenderer(Protocol):
    def consumption_chart(
        self,
        title: str,
        labels: Sequence[str],
        values: Sequence[float],
        unit: str,
        period_axis: str = "",
    ) -> bytes:
        """A bar chart of use per period, as PNG bytes; ``period_axis`` names the x axis."""
        ...

    def zones_chart(
        self,
        title: str,
        periods: Sequence[str],
        zones: Sequence[ZoneUse],
        unit: str,
        period_axis: str = "",
    ) -> bytes:
        """Use per period, each period's bar made of its zones (stacked, so its height is
        their total), with a legend naming them; PNG bytes."""
        ...


class TariffRepository(Protocol):
    async def of_supplier(self, supplier_id: int) -> list[Tariff]: ...
    async def add(self, tariff: Tariff) -> None: ...
