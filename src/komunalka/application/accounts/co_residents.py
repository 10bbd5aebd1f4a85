"""Consent on shared accounts: the residents of an account are told when someone else links it,
each sees who else is linked (masked), and may remove a link they did not expect.

Who may call them: a resident, about the accounts they linked themselves. Guarantees: a notice
is written to the outbox in the transaction of the change that causes it (a link, a removal)
and sent by the worker after it commits, in each reader's channel and language; a removal is
audited and takes effect at once (the removed resident's next request finds no link).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from komunalka.application.accounts.ports import (
    AccountNotice,
    AccountNoticeWording,
    AccountResidents,
)
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import (
    AccountRepository,
    AuditLog,
    Clock,
    Outbox,
    SupplierRepository,
)
from komunalka.application.shared.transactions import Transactions
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import Account, mask_name


class AccountNotices:
    """Writes account notices to the outbox, worded for each reader; runs inside the caller's
    write transaction (so a notice goes only with the change it tells of)."""

    def __init__(
        self, residents: AccountResidents, outbox: Outbox, wording: AccountNoticeWording
    ) -> None:
        self._residents = residents
        self._outbox = outbox
        self._wording = wording

    async def tell(self, resident_ids: Sequence[int], notice: AccountNotice) -> int:
        """Queues the notice for each resident who can be reached; returns how many."""
        if not resident_ids:
            return 0
        addresses = await self._residents.notice_addresses(resident_ids)
        for resident_id in resident_ids:
            to = addresses.get(resident_id)
            if to is not None:
                await self._outbox.add(self._wording.word(to, notice), notice.at)
        return sum(1 for r in resident_ids if r in addresses)

    async def masked_name(self, resident_id: int) -> str:
        names = await self._residents.names([resident_id])
        return mask_name(names.get(resident_id, ""))


@dataclass(frozen=True, slots=True)
class CoResident:
    """Another resident linked to the same account: masked, with the moment they linked it."""

    resident_id: int
    masked_name: str
    linked_at: datetime


@dataclass(frozen=True, slots=True)
class SharedAccount:
    account: Account
    supplier_name: str
    others: list[CoResident]


class ShowCoResidents:
    """Who else is linked to each account the resident linked. Read-only."""

    def __init__(
        self,
        transactions: Transactions,
        accounts: AccountRepository,
        suppliers: SupplierRepository,
        residents: AccountResidents,
    ) -> None:
        self._transactions = transactions
        self._accounts = accounts
        self._suppliers = suppliers
        self._residents = residents

    async def __call__(self, resident_id: int) -> list[SharedAccount]:
        async with self._transactions():
            mine = await self._accounts.linked_to(resident_id)
            names = {s.id: s.name for s in await self._suppliers.all()}
            shared = []
            for account in mine:
                linked = await self._residents.of_account(account.id)
                others = [
                    CoResident(r.resident_id, mask_name(r.name), r.linked_at)
                    for r in linked
                    if r.resident_id != resident_id
                ]
                shared.append(SharedAccount(account, names.get(account.supplier_id, ""), others))
        return shared

    async def one(
        self, resident_id: int, account_id: int | None, other_id: int | None
    ) -> tuple[SharedAccount, CoResident] | None:
        """The resident's account `account_id` and the other resident `other_id` linked to it,
        if both are linked to it now (what a door asks before it offers or makes a removal)."""
        for shared in await self(resident_id):
            if shared.account.id == account_id:
                for other in shared.others:
                    if other.resident_id == other_id:
                        return shared, other
        return None


class RemoveCoResident:
    """A resident removes another resident's link to an account they share (one they did not
    expect). Both must be linked to it; the removed resident is told in their channel, and the
    removal is audited with whom it removed."""

    def __init__(
        self,
        transactions: Transactions,
        accounts: AccountRepository,
        suppliers: SupplierRepository,
        notices: AccountNotices,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._transactions = transactions
        self._accounts = accounts
        self._suppliers = suppliers
        self._notices = notices
        self._audit = audit
        self._clock = clock

    async def __call__(self, actor: Actor, account_id: int, other_id: int) -> None:
        resident_id = actor.resident_id
        if resident_id is None:
            raise DomainError.of("link.resident_required")
        if other_id == resident_id:  # one's own link goes through UnlinkAccount
            raise DomainError.of("link.not_linked")
        now = self._clock.now()
        async with self._transactions(write=True) as tx:
            mine = await self._accounts.linked_to(resident_id)
            account = next((a for a in mine if a.id == account_id), None)
            if account is None:
                raise DomainError.of("link.not_linked")
            if not await self._accounts.unlink(other_id, account_id):
                raise DomainError.of("link.not_linked")
            supplier = await self._suppliers.get(account.supplier_id)
            details = {"account": account.number, "resident": other_id}
            subject = f"account:{account_id}"
            await self._audit.record(actor, "account.link_removed", subject, details, now)
            who = await self._notices.masked_name(resident_id)
            notice = AccountNotice(
                "link_removed", who, now, account.number, supplier.name if supplier else ""
            )
            await self._notices.tell([other_id], notice)
            await tx.commit()
