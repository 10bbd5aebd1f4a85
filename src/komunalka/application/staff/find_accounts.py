"""FindAccounts: the operator console's search, by account number, address, holder's surname or
the phone of a resident who linked the account.

Who may call it: active staff. Guarantees: only accounts in the staff member's scope are returned
(a district operator's district, supplier staff's own supplier, everything for the call center
and administrators), at most `LIMIT`, with `more` set when the search should be narrowed.
Read-only.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass, field
from enum import StrEnum

from komunalka.application.shared.logins import normalize_login
from komunalka.application.shared.ports import SupplierRepository
from komunalka.application.shared.transactions import Transactions
from komunalka.application.staff.ports import AccountScope, AccountSearch
from komunalka.domain.errors import DomainError
from komunalka.domain.ids import is_ascii_number
from komunalka.domain.meters import Account, Supplier
from komunalka.domain.staff import StaffMember, StaffRole

LIMIT = 50
MIN_ADDRESS = 3
_APOSTROPHES = re.compile(r"['’ʼ`]")


class SearchKind(StrEnum):
    # the kind decided from the query itself (see `FindAccounts._auto`)
    AUTO = "auto"
    NUMBER = "number"
    ADDRESS = "address"
    SURNAME = "surname"
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class FoundAccounts:
    accounts: list[Account] = field(default_factory=list)
    suppliers: dict[int, Supplier] = field(default_factory=dict)
    # More matched than are shown: the search should be narrowed.
    more: bool = False


def scope_of(staff: StaffMember) -> AccountScope:
    """The accounts a staff member may see, as a search filter (see StaffMember.can_see)."""
    if not staff.active:
        raise DomainError.of("staff.forbidden")
    if staff.role is StaffRole.DISTRICT:
        if not staff.district:
            raise DomainError.of("staff.forbidden")
        return AccountScope(district=staff.district)
    if staff.role is StaffRole.SUPPLIER:
        if staff.supplier_id is None:
            raise DomainError.of("staff.forbidden")
        return AccountScope(supplier_id=staff.supplier_id)
    return AccountScope()


def folded(text: str) -> str:
    """Text to compare ignoring letter case and the shape of apostrophes."""
    return _APOSTROPHES.sub("'", text).casefold()


class FindAccounts:
    def __init__(
        self, transactions: Transactions, search: AccountSearch, suppliers: SupplierRepository
    ) -> None:
        self._transactions = transactions
        self._search = search
        self._suppliers = suppliers

    async def __call__(self, staff: StaffMember, kind: SearchKind, query: str) -> FoundAccounts:
        scope = scope_of(staff)
        text = " ".join(query.split())[:200]
        async with self._transactions():
            found = await self._find(kind, text, scope)
            suppliers = {s.id: s for s in await self._suppliers.all()}
        # the repository filtered by scope already; the domain rule has the last word
        visible = [a for a in found if staff.can_see(a)]
        return FoundAccounts(visible[:LIMIT], suppliers, more=len(visible) > LIMIT)

    async def _auto(self, text: str, scope: AccountScope) -> list[Account]:
        """Digits (spaces, dashes, brackets and a leading + aside) are an account number or, with
        a leading + or 10 or more of them starting with 0 or 380, a phone (and, without the +,
        a number too); anything else is a surname and words of an address, surnames first."""
        digits = re.sub(r"[\s()\-]", "", text)
        if digits.startswith("+"):
            return await self._find(SearchKind.PHONE, text, scope)
        if is_ascii_number(digits):
            phones: list[Account] = []
            if len(digits) >= 10 and digits.startswith(("0", "380")):
                with suppress(DomainError):  # not a phone after all: an account number
                    phones = await self._find(SearchKind.PHONE, text, scope)
            numbers = await self._find(SearchKind.NUMBER, digits, scope)
            return _merged(phones, numbers)
        found: list[list[Account]] = []
        for kind in (SearchKind.SURNAME, SearchKind.ADDRESS):
            try:
                found.append(await self._find(kind, text, scope))
            except DomainError:
                continue  # too short for this kind
        if not found:
            raise DomainError.of("operator.query_too_short", least=2)
        return _merged(*found)

    async def _find(self, kind: SearchKind, text: str, scope: AccountScope) -> list[Account]:
        search = self._search
        if kind is SearchKind.AUTO:
            return await self._auto(text, scope)
        if kind is SearchKind.NUMBER:
            digits = re.sub(r"[\s\-]", "", text)
            if not is_ascii_number(digits):
                raise DomainError.of("operator.bad_number")
            return await search.by_number(digits, scope, LIMIT + 1)
        if kind is SearchKind.ADDRESS:
            words = _words(text)
            if sum(len(w) for w in words) < MIN_ADDRESS:
                raise DomainError.of("operator.query_too_short", least=MIN_ADDRESS)
            rows = await search.by_address(words, scope, LIMIT + 1)
            return [a for a in rows if all(folded(w) in folded(a.address) for w in words)]
        if kind is SearchKind.SURNAME:
            if len(text) < 2:
                raise DomainError.of("operator.query_too_short", least=2)
            rows = await search.by_surname(text, scope, LIMIT + 1)
            return [a for a in rows if folded(a.holder).startswith(folded(text))]
        return await search.by_phone(_phone(text), scope, LIMIT + 1)


def _merged(*lists: list[Account]) -> list[Account]:
    """The accounts of every list once, in the order of the lists."""
    seen: dict[int, Account] = {}
    for accounts in lists:
        for account in accounts:
            seen.setdefault(account.id, account)
    return list(seen.values())


def _words(text: str) -> list[str]:
    # a comma or a full stop separates words as a space does ("Хрещатик,11", "вул.Хрещатик")
    return [w for w in re.split(r"[\s,.;]+", text) if w][:6]


def _phone(text: str) -> str:
    digits = re.sub(r"[^\d+]", "", text)
    if len(digits) == 10 and digits.startswith("0"):
        digits = "+38" + digits
    try:
        phone = normalize_login(digits)
    except DomainError as exc:
        raise DomainError.of("operator.bad_phone") from exc
    if not phone.startswith("+"):
        raise DomainError.of("operator.bad_phone")
    return phone
