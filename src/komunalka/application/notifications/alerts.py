"""The ports of leak and anomaly notices (ADR 0025): the book the worker claims them from with a
lease, and their wording. Readings writes them (readings.ports.AlertQueue), in the transaction of
the reading; notifications sends them and records the resident's "that's right"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from komunalka.application.notifications.channels import Notice
from komunalka.application.notifications.ports import Recipient
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.services import Service

# States of a notice (one row per meter, period and resident: the unit of "once"):
WAITING = "waiting"  # claimable once its lease (or retry time), if any, is past
SENDING = "sending"  # an attempt began; past its lease its fate is unknown
SENT = "sent"
WITHDRAWN = "withdrawn"  # the reading was corrected before the notice went
CONFIRMED = "confirmed"  # the resident said "that's right" before it went (the cabinet)
NO_CHANNEL = "no_channel"  # nowhere to send it: the cabinet shows it
UNREACHABLE = "unreachable"  # the resident blocked the bot
DROPPED = "dropped"  # the address does not exist
FAILED = "failed"  # given up after the last attempt, or refused for good
UNKNOWN = "unknown"  # the worker died between the send and its record: maybe sent


@dataclass(frozen=True, slots=True)
class ClaimedAlert:
    """A notice claimed by one worker, with what it says: the meter, the month's use and the
    usual one (None: judged by the cap alone), and where it goes (None: nowhere)."""

    id: int
    period: int
    code: str
    used: Decimal
    usual: Decimal | None
    months: int
    cap: Decimal
    service: str
    serial: str
    account_number: str
    recipient: Recipient | None
    # The reading that raised it is still the accepted one of its period (not corrected).
    current: bool
    attempts: int


@dataclass(frozen=True, slots=True)
class AlertClaim:
    alerts: list[ClaimedAlert]
    unknown: int  # attempts found abandoned (lease over, no outcome): counted, never resent


@dataclass(frozen=True, slots=True)
class ResidentAlert:
    """A notice as the cabinet lists it."""

    id: int
    period: int
    code: str
    used: Decimal
    usual: Decimal | None
    service: str
    serial: str
    state: str
    created_at: datetime
    confirmed_at: datetime | None

    @property
    def month(self) -> str:
        """The billing period as machine text (``2026-11``)."""
        return str(BillingPeriod.from_index(self.period))

    @property
    def unit(self) -> str:
        return Service(self.service).unit


class AlertBook(Protocol):
    """The notices, claimed with a lease by any number of workers (as the outbox, ADR 0012)."""

    async def claim(self, worker: str, limit: int, now: datetime, lease: timedelta) -> AlertClaim:
        """Marks "unknown" the attempts whose lease ran out, then claims up to `limit` waiting
        notices whose lease (or retry time) is past, oldest first, for `worker` until
        `now + lease`. Never the same one to two workers whose leases overlap."""
        ...

    async def begin_attempt(
        self, alert_id: int, worker: str, now: datetime, until: datetime
    ) -> bool:
        """ "sending", committed before the send; False when it is no longer this worker's."""
        ...

    async def finish(
        self, alert_id: int, state: str, at: datetime, channel: str = "", detail: str = ""
    ) -> None:
        """Records the outcome for good (any state but waiting and sending)."""
        ...

    async def retry(self, alert_id: int, at: datetime, detail: str) -> None:
        """Waiting again from `at`."""
        ...

    async def confirm(self, alert_id: int, at: datetime, resident_id: int | None = None) -> bool:
        """The resident said "that's right" (of their own notice, when `resident_id` is given):
        recorded once; one not sent yet is not sent. False when there is no such notice."""
        ...

    async def of_resident(self, resident_id: int, limit: int) -> list[ResidentAlert]:
        """The resident's notices, newest first."""
        ...


class Unreachables(Protocol):
    """Marks a messenger identity that refused us (the reminders' book keeps the mark)."""

    async def mark_unreachable(self, channel: str, address: str, at: datetime) -> None: ...


class AlertWording(Protocol):
    """Words a notice in the recipient's language (a door: channels/reminders)."""

    def alert_notice(self, alert: ClaimedAlert, recipient: Recipient) -> Notice: ...
