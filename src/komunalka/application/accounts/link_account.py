"""LinkAccount: a resident proves an account is theirs and links it.

Who may call it: a resident (any door), with the proof as the resident typed it: letters (and
apostrophes) are the first three letters of the holder's surname, anything else the serial
number of one of the account's meters; the use case decides which, for every door alike,
unless the door knows (the API has a field for each) and says so in `proof_kind`. Wrong
attempts are limited per resident and per account; an unknown account and a wrong proof look
the same, so numbers cannot be probed.
A failed attempt is recorded (that is what the limit counts) and nothing else changes.
A new link is told to the residents linked to the account already, in their channel (masked,
when, how to remove it), through the outbox in the link's transaction (co_residents.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from komunalka.application.accounts.co_residents import AccountNotices
from komunalka.application.accounts.ports import (
    AccountMeters,
    AccountNotice,
    AccountResidents,
    LinkAttemptRepository,
)
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import (
    AccountRepository,
    AuditLog,
    Clock,
    SupplierRepository,
)
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import Account, Supplier, normalize_serial, surname_prefix

RESIDENT_FAILURES = 5
RESIDENT_WINDOW = timedelta(hours=1)
ACCOUNT_FAILURES = 10
ACCOUNT_WINDOW = timedelta(days=1)

ProofKind = Literal["surname", "serial"]
SURNAME: ProofKind = "surname"
SERIAL: ProofKind = "serial"


@dataclass(frozen=True, slots=True)
class LinkAccountRequest:
    actor: Actor
    account_number: str
    supplier_code: str | None = None
    # What the resident typed as the proof: a surname's first letters or a meter's serial.
    proof: str = ""
    # What the proof is, when the caller knows (a field of its own for each kind); None: read
    # from the text itself, for doors that take what the resident typed in one box.
    proof_kind: ProofKind | None = None
    # Check the proof (and count a failure) without linking yet: the bot shows the masked
    # holder and address first and links on the resident's yes.
    check_only: bool = False


@dataclass(frozen=True, slots=True)
class LinkAccountResult:
    account_id: int
    supplier_code: str
    supplier_name: str
    account_number: str
    masked_holder: str
    address: str
    already_linked: bool


class LinkAccount:
    def __init__(
        self,
        transactions: Transactions,
        suppliers: SupplierRepository,
        accounts: AccountRepository,
        meters: AccountMeters,
        attempts: LinkAttemptRepository,
        audit: AuditLog,
        clock: Clock,
        wall: Clock | None = None,
        *,
        residents: AccountResidents | None = None,
        notices: AccountNotices | None = None,
    ) -> None:
        """`wall`: real time, which the attempts are counted on (the business `clock` may be
        frozen by KOMUNALKA_NOW, and then a failure would never age out); `clock` by default.
        `residents` and `notices`: who is linked already and how they are told of a new link
        (the wiring always gives both; without them nobody is told)."""
        self._transactions = transactions
        self._suppliers = suppliers
        self._accounts = accounts
        self._meters = meters
        self._attempts = attempts
        self._audit = audit
        self._clock = clock
        self._wall = wall or clock
        self._residents = residents
        self._notices = notices

    async def __call__(self, request: LinkAccountRequest) -> LinkAccountResult:
        resident_id = request.actor.resident_id
        if resident_id is None:
            raise DomainError.of("link.resident_required")
        number = re.sub(r"\s+", "", request.account_number)
        proof = read_proof(request.proof, request.proof_kind)
        now, real = self._clock.now(), self._wall.now()
        async with self._transactions(write=True) as tx:
            supplier = await self._supplier(request.supplier_code, number)
            seen = await self._attempts.failures_since(
                resident_id, supplier.id, number, real - RESIDENT_WINDOW, real - ACCOUNT_WINDOW
            )
            if seen.by_resident >= RESIDENT_FAILURES or seen.by_account >= ACCOUNT_FAILURES:
                minutes = int(RESIDENT_WINDOW.total_seconds() // 60)
                raise DomainError.of("link.too_many_attempts", minutes=minutes)
            account = await self._accounts.by_number(supplier.id, number)
            if account is None or not await self._proven(account, proof):
                await self._attempts.add(resident_id, supplier.id, number, False, real)
                await tx.commit()  # the failure must count, whatever the caller does next
                left = RESIDENT_FAILURES - seen.by_resident - 1
                raise DomainError.of("link.not_matched", attempts_left=max(left, 0))
            if request.check_only:
                created = not await self._accounts.is_linked(resident_id, account.id)
            else:
                await self._attempts.add(resident_id, supplier.id, number, True, real)
                created = await self._accounts.link(resident_id, account.id, proof.kind, now)
                details = {"account": number, "supplier": supplier.code, "proof": proof.kind}
                subject = f"account:{account.id}"
                await self._audit.record(request.actor, "account.link", subject, details, now)
                if created:
                    await self._tell_others(resident_id, account, supplier, now)
                await tx.commit()
        return LinkAccountResult(
            account.id,
            supplier.code,
            supplier.name,
            account.number,
            account.masked_holder,
            account.address,
            not created,
        )

    async def _tell_others(
        self, resident_id: int, account: Account, supplier: Supplier, now: datetime
    ) -> None:
        if self._residents is None or self._notices is None:
            return
        linked = await self._residents.of_account(account.id)
        others = [r.resident_id for r in linked if r.resident_id != resident_id]
        if others:
            who = await self._notices.masked_name(resident_id)
            notice = AccountNotice("new_link", who, now, account.number, supplier.name)
            await self._notices.tell(others, notice)

    async def _supplier(self, code: str | None, number: str) -> Supplier:
        if code:
            supplier = await self._suppliers.by_code(code)
            if supplier is None:
                raise DomainError.of("supplier.not_found", supplier=code)
            if not supplier.account_number_matches(number):
                raise DomainError.of("link.bad_number", number=number)
            return supplier
        matching = [s for s in await self._suppliers.all() if s.account_number_matches(number)]
        if not matching:
            raise DomainError.of("link.bad_number", number=number)
        if len(matching) > 1:
            names = ", ".join(s.name for s in matching)
            raise DomainError.of("link.supplier_ambiguous", suppliers=names)
        return matching[0]

    async def _proven(self, account: Account, proof: Proof) -> bool:
        if proof.kind == SURNAME:
            return surname_prefix(proof.text) == surname_prefix(account.holder)
        serial = normalize_serial(proof.text)
        meters = await self._meters.of_accounts([account.id])
        return any(m.serial == serial for m in meters)


_APOSTROPHES = re.compile(r"['ʼ’]")


@dataclass(frozen=True, slots=True)
class Proof:
    kind: ProofKind
    text: str


def read_proof(text: str, kind: ProofKind | None = None) -> Proof:
    """The proof of the `kind` given; without one, letters (apostrophes aside) are a surname's
    first letters and anything else is a meter's serial. A surname needs three letters."""
    proof = text.strip()
    if not proof:
        raise DomainError.of("link.proof_required")
    if kind is None:
        kind = SURNAME if _APOSTROPHES.sub("", proof).isalpha() else SERIAL
    if kind not in (SURNAME, SERIAL):
        raise ValueError(f"unknown kind of proof: {kind!r}")
    if kind == SERIAL:
        return Proof(SERIAL, proof)
    if len(proof) < 3:
        raise DomainError.of("link.surname_too_short")
    return Proof(SURNAME, proof)


class UnlinkAccount:
    """A resident removes an account from their list. Who may call it: that resident. Readings
    already sent stay; only the link goes, and the removal is audited."""

    def __init__(
        self,
        transactions: Transactions,
        accounts: AccountRepository,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._accounts = accounts
        self._audit = audit
        self._clock = clock

    async def __call__(self, actor: Actor, account_id: int) -> None:
        if actor.resident_id is None:
            raise DomainError.of("link.resident_required")
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            if not await self._accounts.unlink(actor.resident_id, account_id):
                raise DomainError.of("link.not_linked")
            await self._audit.record(actor, "account.unlink", f"account:{account_id}", {}, now)
            await tx.commit()


class SuppliersFor:
    """The suppliers whose account-number format fits a number (the bot offers them to choose
    from when there are several). Anyone may call it; read-only."""

    def __init__(self, transactions: Transactions, suppliers: SupplierRepository) -> None:
        self._transactions = transactions
        self._suppliers = suppliers

    async def __call__(self, number: str) -> list[Supplier]:
        digits = re.sub(r"\s+", "", number)
        async with self._transactions():
            return [s for s in await self._suppliers.all() if s.account_number_matches(digits)]
