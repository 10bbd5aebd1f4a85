"""The ports of linking accounts: the failed attempts the limits count. (Accounts themselves
are shared: see application/shared/ports.py.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from komunalka.application.shared.ports import OutgoingMessage
from komunalka.domain.meters import Meter


@dataclass(frozen=True, slots=True)
class Attempts:
    by_resident: int
    by_account: int


class LinkAttemptRepository(Protocol):
    async def failures_since(
        self,
        resident_id: int,
        supplier_id: int,
        number: str,
        resident_since: datetime,
        account_since: datetime,
    ) -> Attempts:
        """Failed attempts by this resident (any account) and on this account (anyone)."""
        ...

    async def add(
        self, resident_id: int, supplier_id: int, number: str, success: bool, at: datetime
    ) -> None: ...


class AccountMeters(Protocol):
    """The meters of accounts (a meter's serial proves an account)."""

    async def of_accounts(self, account_ids: Sequence[int]) -> list[Meter]: ...


# --- consent on shared accounts -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkedResident:
    """A resident linked to an account, and since when."""

    resident_id: int
    name: str
    linked_at: datetime


@dataclass(frozen=True, slots=True)
class NoticeAddress:
    """Where a resident is told about their account (a link, a removal, a caretaker): the
    channel ("telegram", "viber", "email", "sms"), the address on it, their language."""

    channel: str
    address: str
    language: str


class AccountResidents(Protocol):
    """Who is linked to an account, and where each of them can be told things."""

    async def of_account(self, account_id: int) -> list[LinkedResident]:
        """The residents linked to the account, earliest link first."""
        ...

    async def names(self, resident_ids: Sequence[int]) -> dict[int, str]: ...

    async def notice_addresses(self, resident_ids: Sequence[int]) -> dict[int, NoticeAddress]:
        """Where each resident is told: the channel they chose for reminders (with consent);
        else a messenger they use that was not reported unreachable (Telegram first); else
        the e-mail address or phone number they sign in with. Residents with none are left
        out (they see the same on their profile page)."""
        ...


@dataclass(frozen=True, slots=True)
class AccountNotice:
    """What a resident is told about an account they linked (or about themselves): `kind` is
    "new_link" (`who` linked it too), "link_removed" (`who` removed the reader's link),
    "caretaker_started" or "caretaker_ended" (`who` is the caretaker); `who` is masked."""

    kind: str
    who: str
    at: datetime
    account_number: str = ""
    supplier_name: str = ""


class AccountNoticeWording(Protocol):
    """Words an account notice in the reader's language, for the outbox (a door does it:
    channels/reminders/consent.py)."""

    def word(self, to: NoticeAddress, notice: AccountNotice) -> OutgoingMessage: ...


# --- caretakers ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Caretaking:
    """A caretaker who may send readings on a resident's behalf, since `started_at`."""

    resident_id: int
    resident_name: str
    caretaker_id: int
    caretaker_name: str
    started_at: datetime


class Caretakers(Protocol):
    """Who cares for whom. At most one active caretaking per resident and caretaker."""

    async def start(self, resident_id: int, caretaker_id: int, at: datetime) -> bool:
        """Begins a caretaking; False (nothing changed) when one is active already."""
        ...

    async def end(self, resident_id: int, caretaker_id: int, at: datetime) -> bool:
        """Ends the active caretaking; False when there was none."""
        ...

    async def is_active(self, resident_id: int, caretaker_id: int) -> bool: ...

    async def of_resident(self, resident_id: int) -> list[Caretaking]:
        """The resident's active caretakers, earliest first."""
        ...

    async def cared_for_by(self, caretaker_id: int) -> list[Caretaking]:
        """The residents the caretaker actively cares for, earliest first."""
        ...


class InvitationCodes(Protocol):
    """One-time codes, stored only as their hash (the one-time tokens' table)."""

    async def add(
        self, token_hash: str, purpose: str, subject_id: int, expires_at: datetime
    ) -> None: ...

    async def use(self, token_hash: str, purpose: str, now: datetime) -> int | None:
        """Marks the code used and returns whom it was made for; None for a code unknown,
        used already or expired (nothing changed)."""
        ...


class CodeAttempts(Protocol):
    """Attempts by key, counted for limits (the sign-in attempts' table)."""

    async def failures_since(self, key: str, since: datetime) -> int: ...
    async def add(self, key: str, success: bool, at: datetime) -> None: ...
