"""The ports of linking accounts: the failed attempts the limits count. (Accounts themselves
are shared: see application/shared/ports.py.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

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
