"""LinkAccount: a resident proves an account is theirs and links it.

Who may call it: a resident (any door). Proof: the first three letters of the holder's surname,
or the serial number of one of the account's meters. Wrong attempts are limited per resident and
per account; an unknown account and a wrong proof look the same, so numbers cannot be probed.
A failed attempt is recorded (that is what the limit counts) and nothing else changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from komunalka.application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from komunalka.application.shared.actors import Actor
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import Account, Supplier, normalize_serial, surname_prefix

RESIDENT_FAILURES = 5
RESIDENT_WINDOW = timedelta(hours=1)
ACCOUNT_FAILURES = 10
ACCOUNT_WINDOW = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class LinkAccountRequest:
    actor: Actor
    account_number: str
    supplier_code: str | None = None
    surname_prefix: str | None = None
    meter_serial: str | None = None
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
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, request: LinkAccountRequest) -> LinkAccountResult:
        resident_id = request.actor.resident_id
        if resident_id is None:
            raise DomainError.of("link.resident_required")
        number = re.sub(r"\s+", "", request.account_number)
        proof = _proof_kind(request)
        now = self._clock.now()
        async with self._uow(write=True) as uow:
            supplier = await _supplier(uow, request.supplier_code, number)
            seen = await uow.link_attempts.failures_since(
                resident_id, supplier.id, number, now - RESIDENT_WINDOW, now - ACCOUNT_WINDOW
            )
            if seen.by_resident >= RESIDENT_FAILURES or seen.by_account >= ACCOUNT_FAILURES:
                minutes = int(RESIDENT_WINDOW.total_seconds() // 60)
                raise DomainError.of("link.too_many_attempts", minutes=minutes)
            account = await uow.accounts.by_number(supplier.id, number)
            if account is None or not await _proven(uow, account, request):
                await uow.link_attempts.add(resident_id, supplier.id, number, False, now)
                await uow.commit()  # the failure must count, whatever the caller does next
                left = RESIDENT_FAILURES - seen.by_resident - 1
                raise DomainError.of("link.not_matched", attempts_left=max(left, 0))
            if request.check_only:
                created = not await uow.accounts.is_linked(resident_id, account.id)
            else:
                await uow.link_attempts.add(resident_id, supplier.id, number, True, now)
                created = await uow.accounts.link(resident_id, account.id, proof, now)
                details = {"account": number, "supplier": supplier.code, "proof": proof}
                await uow.audit.record(
                    request.actor, "account.link", f"account:{account.id}", details, now
                )
                await uow.commit()
        return LinkAccountResult(
            account.id,
            supplier.code,
            supplier.name,
            account.number,
            account.masked_holder,
            account.address,
            not created,
        )


def _proof_kind(request: LinkAccountRequest) -> str:
    given = [
        k for k, v in (("surname", request.surname_prefix), ("serial", request.meter_serial)) if v
    ]
    if len(given) != 1:
        raise DomainError.of("link.proof_required")
    if request.surname_prefix is not None and len(request.surname_prefix.strip()) < 3:
        raise DomainError.of("link.surname_too_short")
    return given[0]


async def _supplier(uow: UnitOfWork, code: str | None, number: str) -> Supplier:
    if code:
        supplier = await uow.suppliers.by_code(code)
        if supplier is None:
            raise DomainError.of("supplier.not_found", supplier=code)
        if not supplier.account_number_matches(number):
            raise DomainError.of("link.bad_number", number=number)
        return supplier
    matching = [s for s in await uow.suppliers.all() if s.account_number_matches(number)]
    if not matching:
        raise DomainError.of("link.bad_number", number=number)
    if len(matching) > 1:
        names = ", ".join(s.name for s in matching)
        raise DomainError.of("link.supplier_ambiguous", suppliers=names)
    return matching[0]


async def _proven(uow: UnitOfWork, account: Account, request: LinkAccountRequest) -> bool:
    if request.surname_prefix:
        return surname_prefix(request.surname_prefix) == surname_prefix(account.holder)
    serial = normalize_serial(request.meter_serial or "")
    meters = await uow.meters.of_accounts([account.id])
    return any(m.serial == serial for m in meters)


class UnlinkAccount:
    """A resident removes an account from their list. Who may call it: that resident. Readings
    already sent stay; only the link goes, and the removal is audited."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, actor: Actor, account_id: int) -> None:
        if actor.resident_id is None:
            raise DomainError.of("link.resident_required")
        now = self._clock.now()
        async with self._uow(write=True) as uow:
            if not await uow.accounts.unlink(actor.resident_id, account_id):
                raise DomainError.of("link.not_linked")
            await uow.audit.record(actor, "account.unlink", f"account:{account_id}", {}, now)
            await uow.commit()


class SuppliersFor:
    """The suppliers whose account-number format fits a number (the bot offers them to choose
    from when there are several). Anyone may call it; read-only."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, number: str) -> list[Supplier]:
        digits = re.sub(r"\s+", "", number)
        async with self._uow() as uow:
            return [s for s in await uow.suppliers.all() if s.account_number_matches(digits)]
