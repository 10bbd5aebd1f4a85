"""The ports signed receipts need (docs/adr/0023-signed-receipts.md): the keys that sign and
check them, the readings they record as the service holds them, and the count of failed
look-ups that limits guessing receipt numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from komunalka.domain.readings import ReadingStatus
from komunalka.domain.receipts import ReceiptRecord


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A published key: its id, its raw 32-byte Ed25519 public key, and whether it still signs
    (``active``) or only checks what it signed before a rotation (``retired``)."""

    key_id: str
    raw: bytes
    status: str


class ReceiptVerifier(Protocol):
    """Checks signatures against the published keys."""

    def verify(self, key_id: str, data: bytes, signature: bytes) -> bool | None:
        """Whether `signature` is the key's over `data`; None when no such key is known."""
        ...

    def public_keys(self) -> list[PublicKey]: ...


class ReceiptSigner(ReceiptVerifier, Protocol):
    """Signs with the active key (Ed25519: the same data always gets the same signature)."""

    def sign(self, data: bytes) -> tuple[str, bytes]:
        """The active key's id and its signature over `data`."""
        ...


@dataclass(frozen=True, slots=True)
class HeldReceipt:
    """A receipt's record as the service holds it, with what a page shows beside it."""

    record: ReceiptRecord
    status: ReadingStatus
    supplier_name: str
    account_id: int
    meter_id: int


class ReceiptRecords(Protocol):
    async def by_receipts(self, receipts: Sequence[str]) -> list[HeldReceipt]:
        """The readings with these receipt numbers (upper-case), any status; unknown ones are
        left out."""
        ...


class LookupAttempts(Protocol):
    """Failed look-ups by key (the sign-in attempts' store), counted on the wall clock."""

    async def failures_since(self, key: str, since: datetime) -> int: ...
    async def add(self, key: str, success: bool, at: datetime) -> None: ...


class ResidentAccounts(Protocol):
    async def is_linked(self, resident_id: int, account_id: int) -> bool: ...
