"""Signed receipts (docs/adr/0023-signed-receipts.md): a resident's receipts signed for the page
and the QR code, the public check of a receipt by its number or by its signed token, and the
published keys.

Who may call what: `ShowReceipts`, a resident for readings of their linked accounts (staff and
the system for any); `VerifyReceipt` and `PublishReceiptKeys`, anyone (the public page, the API,
the command line); `CheckReceiptToken`, anyone holding the published keys, with no database (a
supplier's offline check). Guarantees: a token is genuine only when its signature is a published
key's over the exact canonical record it carries, so changing any field of it is caught; a
check by number says what the service holds, with the account and the meter's serial masked
(the number alone is not proof of holding the receipt), and failed look-ups are limited per
address so numbers cannot be guessed in bulk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

from komunalka.application.readings.receipt_ports import (
    HeldReceipt,
    LookupAttempts,
    PublicKey,
    ReceiptRecords,
    ReceiptSigner,
    ReceiptVerifier,
    ResidentAccounts,
)
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.application.shared.ports import Clock
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.receipts import MAX_TOKEN, ReceiptRecord, ReceiptToken, looks_like_token

LOOKUP_WINDOW = timedelta(minutes=15)
FAILED_LOOKUPS = 20
# ``2611-7KQ2-M9XD``, as `new_receipt` makes them
_CODE = re.compile(r"^[0-9]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$", re.ASCII)
# Crockford's base32 reads these as the digits they look like.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


class Verdict(StrEnum):
    GENUINE = "genuine"  # a published key signed exactly this record / the service holds it
    FORGED = "forged"  # the signature is not the key's over this record: something was changed
    UNKNOWN_KEY = "unknown_key"  # signed by no key the service publishes
    NOT_FOUND = "not_found"  # no receipt with this number


class Held(StrEnum):
    """What the service holds for a genuine token's receipt number."""

    SAME = "same"
    DIFFERENT = "different"
    ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class SignedReceipt:
    held: HeldReceipt
    token: ReceiptToken


@dataclass(frozen=True, slots=True)
class ReceiptCheck:
    verdict: Verdict
    # What the receipt records (a check by number: the account and the serial masked).
    record: ReceiptRecord | None = None
    key_id: str | None = None
    # A token's check: whether the service holds the same record (None offline).
    held: Held | None = None
    # The reading as the service holds it: its status and supplier's name.
    found: HeldReceipt | None = None
    by_number: bool = False


class CheckReceiptToken:
    """A token's signature against the published keys; no database."""

    def __init__(self, keys: ReceiptVerifier) -> None:
        self._keys = keys

    def __call__(self, text: str) -> ReceiptCheck:
        token = ReceiptToken.parse(token_in(text))
        record = ReceiptRecord.parse(token.record)  # garbage is garbage, whoever signed it
        ok = self._keys.verify(token.key_id, token.record, token.signature)
        if ok is None:
            return ReceiptCheck(Verdict.UNKNOWN_KEY, key_id=token.key_id)
        if not ok:
            return ReceiptCheck(Verdict.FORGED, key_id=token.key_id)
        return ReceiptCheck(Verdict.GENUINE, record, token.key_id)


class VerifyReceipt:
    def __init__(
        self,
        transactions: Transactions,
        records: ReceiptRecords,
        attempts: LookupAttempts,
        keys: ReceiptVerifier,
        wall: Clock,
    ) -> None:
        self._transactions = transactions
        self._records = records
        self._attempts = attempts
        self._check_token = CheckReceiptToken(keys)
        self._wall = wall

    async def __call__(self, text: str, address: str = "") -> ReceiptCheck:
        """`text`: a receipt number, a token, or the QR code's link; `address`: the caller's,
        as its door knows it (failed look-ups by number are counted per address).
        ``receipt.empty``, ``receipt.garbled``, ``receipt.not_a_code``, ``receipt.too_many``."""
        text = text.strip()
        if not text:
            raise DomainError.of("receipt.empty")
        if len(text) > MAX_TOKEN:
            raise DomainError.of("receipt.garbled")
        if looks_like_token(token_in(text)):
            return await self._token(text)
        return await self._number(text, address)

    async def _token(self, text: str) -> ReceiptCheck:
        check = self._check_token(text)
        if check.record is None:
            return check
        async with self._transactions():
            found = await self._records.by_receipts([check.record.receipt])
        if not found:
            return replace(check, held=Held.ABSENT)
        same = found[0].record.canonical() == check.record.canonical()
        return replace(check, held=Held.SAME if same else Held.DIFFERENT, found=found[0])

    async def _number(self, text: str, address: str) -> ReceiptCheck:
        number = normalized_number(text)
        key = f"receipt:ip:{address or '-'}"
        now = self._wall.now()
        async with self._transactions():
            if await self._attempts.failures_since(key, now - LOOKUP_WINDOW) >= FAILED_LOOKUPS:
                minutes = int(LOOKUP_WINDOW.total_seconds() // 60)
                raise DomainError.of("receipt.too_many", minutes=minutes)
            found = await self._records.by_receipts([number])
        if not found:  # only a miss writes: a found receipt costs one read
            async with self._transactions(write=True) as tx:
                await self._attempts.add(key, False, now)
                await tx.commit()
            return ReceiptCheck(Verdict.NOT_FOUND, by_number=True)
        held = found[0]
        record = replace(held.record, account=masked(held.record.account))
        record = replace(record, meter=masked(record.meter))
        return ReceiptCheck(Verdict.GENUINE, record, found=held, by_number=True)


class ShowReceipts:
    def __init__(
        self,
        transactions: Transactions,
        records: ReceiptRecords,
        accounts: ResidentAccounts,
        keys: ReceiptSigner,
    ) -> None:
        self._transactions = transactions
        self._records = records
        self._accounts = accounts
        self._keys = keys

    async def __call__(self, actor: Actor, receipts: Sequence[str]) -> list[SignedReceipt]:
        """The receipts, signed, in the order asked; those of readings the actor may not see
        (or of none) are left out."""
        wanted = [r.strip().upper() for r in receipts][:100]
        async with self._transactions():
            found = {h.record.receipt: h for h in await self._records.by_receipts(wanted)}
            mine: list[HeldReceipt] = []
            for number in wanted:
                held = found.get(number)
                if held is not None and await self._may_see(actor, held):
                    mine.append(held)
        return [SignedReceipt(h, self._sign(h.record)) for h in mine]

    async def _may_see(self, actor: Actor, held: HeldReceipt) -> bool:
        if actor.kind is not ActorKind.RESIDENT:
            return True
        resident = actor.resident_id
        return resident is not None and await self._accounts.is_linked(resident, held.account_id)

    def _sign(self, record: ReceiptRecord) -> ReceiptToken:
        data = record.canonical()
        key_id, signature = self._keys.sign(data)
        return ReceiptToken(data, key_id, signature)


class PublishReceiptKeys:
    """The keys that check receipts: the active one and every retired one."""

    def __init__(self, keys: ReceiptVerifier) -> None:
        self._keys = keys

    def __call__(self) -> list[PublicKey]:
        return self._keys.public_keys()


def token_in(text: str) -> str:
    """The token itself, also out of the QR code's link (``…/receipts/verify?t=KR1.…``)."""
    text = text.strip()
    if "?" in text and "://" in text:
        query = parse_qs(urlsplit(text).query)
        return query.get("t", [""])[0].strip()
    return text


def normalized_number(text: str) -> str:
    """A receipt number as a person types it (`2611 7kq2 m9xd`, `2611-7KQ2-M9XO`), or
    ``receipt.not_a_code``."""
    bare = re.sub(r"[\s\-–—]", "", text.upper()).translate(_LOOKALIKES)
    number = f"{bare[:4]}-{bare[4:8]}-{bare[8:]}"
    if len(bare) != 12 or not _CODE.match(number):
        raise DomainError.of("receipt.not_a_code")
    return number


def masked(text: str) -> str:
    """All but the last four characters hidden (the last two of a short one)."""
    shown = 4 if len(text) > 6 else 2
    return "•" * max(len(text) - shown, 2) + text[-shown:]
