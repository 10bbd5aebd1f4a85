"""The ports of notifications: the senders that deliver what the outbox holds, and reminders.
The outbox itself and its messages are written by other features too, so they live in
application/shared/ports.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from komunalka.application.notifications.channels import Notice
from komunalka.application.shared.ports import OutgoingMessage
from komunalka.domain.reminders import ReminderRule, RuleKind, SendSpan


class MessageSender(Protocol):
    """Delivers one message (an e-mail, an SMS); raises when it could not."""

    async def send(self, message: OutgoingMessage) -> None: ...


# --- reminders ----------------------------------------------------------------------------------
# States of a reminder (one row per resident, rule and period: the unit of "once"):
PLANNED = "planned"  # waiting for its moment (`send_at`), claimable once it is past
SENDING = "sending"  # an attempt began; past its lease its fate is unknown
SENT = "sent"
MERGED = "merged"  # went out inside another reminder to the same resident that day
SKIPPED = "skipped"  # nothing was due any more when its moment came (the resident sent)
CANCELLED = "cancelled"  # the resident turned reminders off
EXPIRED = "expired"  # the window closed before its moment came
UNREACHABLE = "unreachable"  # the resident blocked the bot or unsubscribed
DROPPED = "dropped"  # the address does not exist (any more)
FAILED = "failed"  # given up after the last attempt, or refused for good
UNKNOWN = "unknown"  # the worker died between the send and its record: maybe sent

REMINDER_STATES = (
    PLANNED,
    SENDING,
    SENT,
    MERGED,
    SKIPPED,
    CANCELLED,
    EXPIRED,
    UNREACHABLE,
    DROPPED,
    FAILED,
    UNKNOWN,
)


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a reminder goes to and where: the channel and address the resident chose (with
    consent) in the cabinet or by the bot's switch, and the language they read."""

    resident_id: int
    name: str
    channel: str
    address: str
    language: str


@dataclass(frozen=True, slots=True)
class ClaimedReminder:
    """A reminder claimed by one worker. `period` is the billing period's month index for the
    window rules and the month of the verification date for the verification ones."""

    id: int
    rule_id: int
    kind: RuleKind
    supplier_id: int
    period: int
    recipient: Recipient
    attempts: int


@dataclass(frozen=True, slots=True)
class ReminderClaim:
    reminders: list[ClaimedReminder]
    unknown: int  # attempts found abandoned (lease over, no outcome): counted, never resent


@dataclass(frozen=True, slots=True)
class LinkedMeter:
    """An active meter on an account the resident linked, with what a reminder says of it:
    its supplier (and its window) and the last period it has an accepted reading for."""

    supplier_id: int
    supplier_name: str
    window_rule: str
    timezone: str
    account_number: str
    service: str
    serial: str
    water_heater: bool
    verification_due: date | None
    last_read_period: int | None


@dataclass(frozen=True, slots=True)
class Audience:
    """Whom a rule would reach: how many, and the first few."""

    count: int
    sample: list[Recipient]


class ReminderRules(Protocol):
    """The rules staff changed; a kind never changed is at its default (domain.reminders)."""

    async def stored(self, supplier_id: int) -> list[ReminderRule]: ...

    async def save(self, rule: ReminderRule) -> ReminderRule:
        """Stores the supplier's rule of that kind (one per supplier and kind); returns it
        with its id."""
        ...


class ReminderBook(Protocol):
    """The reminders: planned in bulk by set-based statements, claimed with a lease by any
    number of workers, each outcome recorded. A row is unique per (resident, rule, period)."""

    async def begin_plan(self, rule_id: int, run: str, at: datetime) -> bool:
        """Records that the rule is being planned for `run` (a window rule: the period,
        "2026-11"; a verification rule: the day, "2026-11-29"); False when it already was
        (another worker, an earlier round). Commits with the planning."""
        ...

    async def finish_plan(self, rule_id: int, run: str, planned: int) -> None:
        """Records how many reminders the run planned (in the transaction that planned them)."""
        ...

    async def plan_due(self, rule_id: int, supplier_id: int, period: int, span: SendSpan) -> int:
        """One statement: a reminder for each resident with a reminder channel and consent who
        linked an account of the supplier with an active meter that has no accepted reading
        for `period`; at `span.moment(resident_id)`. Returns how many were added."""
        ...

    async def plan_verification(
        self, rule_id: int, supplier_id: int, due_from: date, due_to: date, span: SendSpan
    ) -> int:
        """One statement: a reminder for each such resident with an active meter of the supplier
        whose verification falls due within [due_from, due_to]; `period` is the month of that
        date (so one notice per resident and due month)."""
        ...

    async def audience(self, supplier_id: int, period: int, limit: int) -> Audience:
        """Whom `plan_due` would reach now (nothing is written)."""
        ...

    async def verification_audience(
        self, supplier_id: int, due_from: date, due_to: date, limit: int
    ) -> Audience: ...

    async def claim(
        self, worker: str, limit: int, now: datetime, lease: timedelta
    ) -> ReminderClaim:
        """Marks "unknown" the attempts whose lease ran out, then claims up to `limit` planned
        reminders of rules not paused whose moment is past (and whose lease, if any, ran out),
        earliest first, for `worker` until `now + lease`. Never the same one to two workers."""
        ...

    async def begin_attempt(
        self, reminder_id: int, worker: str, now: datetime, until: datetime
    ) -> bool:
        """ "sending", committed before the send; False when it is no longer this worker's."""
        ...

    async def finish(
        self,
        reminder_id: int,
        state: str,
        at: datetime,
        detail: str = "",
        billing_status: int | None = None,
    ) -> None:
        """Records the outcome for good (any state but planned and sending)."""
        ...

    async def retry(self, reminder_id: int, at: datetime, detail: str) -> None:
        """Planned again from `at`, one more attempt counted."""
        ...

    async def merge_into(self, reminder_id: int, resident_id: int, until: datetime) -> int:
        """The resident's other planned reminders of window rules due before `until` went out
        inside this one: "merged" (they list the same due meters; verification notices do
        not). Returns how many."""
        ...

    async def cancel(self, resident_id: int, at: datetime) -> int:
        """The resident turned reminders off: every planned one of theirs is cancelled."""
        ...

    async def counts(self, supplier_id: int, period: int) -> dict[int, dict[str, int]]:
        """Reminders by rule id and state, for one supplier and period."""
        ...

    async def linked_meters(self, resident_id: int) -> list[LinkedMeter]: ...

    async def mark_unreachable(self, channel: str, address: str, at: datetime) -> None:
        """The messenger says the resident blocked the bot (or unsubscribed): nothing more is
        planned for that identity until the resident writes again."""
        ...

    async def reachable_again(self, channel: str, address: str) -> None:
        """The resident wrote to the bot: reminders may reach them again."""
        ...


class ReminderWording(Protocol):
    """Words a reminder in the recipient's language (a door: channels/reminders)."""

    def window_notice(self, recipient: Recipient, due: list[DueSupplier]) -> Notice: ...

    def verification_notice(
        self, recipient: Recipient, kind: RuleKind, meters: list[LinkedMeter]
    ) -> Notice: ...


@dataclass(frozen=True, slots=True)
class DueSupplier:
    """What a resident still owes one supplier: its meters without a reading and the last day
    of its window."""

    supplier_name: str
    last_day: date
    meters: list[LinkedMeter]
