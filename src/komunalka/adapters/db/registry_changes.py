"""Which of a registry chunk's rows the database already holds as listed (ADR 0022).

A supplier sends its whole registry every month and most rows have not changed. A row whose
meter exists with every field the registry carries equal to the row's (its account's number,
holder, address and district; the meter's service, registers, digits, decimals, verification
date, status and water-heater flag as the merge would leave it) and whose reading, if it has
one, is known already (an accepted reading of each register for the row's period) would be
merged into no change at all but its meter's revision: such a row is not written, only counted.

The last row of an account still wins: when the rows of one account in a chunk disagree on the
account's fields, or an earlier chunk of the import staged a row of that account, every row of
the account is merged, in line order, as before. Both databases fetch the stored state of the
chunk's meters (`Stored`) and judge the rows here, so they agree on what "unchanged" means.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from komunalka.adapters.db.registry_jobs import Key, meter_key
from komunalka.application.suppliers.ports import StagedRow
from komunalka.domain.meters import MeterStatus
from komunalka.domain.services import Service


class Stored(NamedTuple):
    """A meter as the database holds it, with its account, and the registers that have an
    accepted reading for the period of the row that lists it (None: the row has no reading)."""

    number: str
    holder: str
    address: str
    district: str
    service: str
    registers: str
    digits: int
    decimals: int
    verification_due: date | None
    status: str
    water_heater: bool
    known: Collection[str] | None


def stored_of(values: Sequence[Any]) -> Stored:
    """A Stored from a database row's twelve values in its fields' order; SQLite gives dates
    as text, flags as numbers and the known registers as one string joined with '|'."""
    due, known = values[8], values[11]
    if isinstance(due, str):
        due = date.fromisoformat(due)
    if isinstance(known, str):
        known = known.split("|")
    number, holder, address, district, service, registers, digits, decimals = values[:8]
    return Stored(
        number,
        holder,
        address,
        district,
        service,
        registers,
        digits,
        decimals,
        due,
        values[9],
        bool(values[10]),
        known,
    )


def is_unchanged(staged: StagedRow, stored: Stored, water_heaters: bool) -> bool:
    """Whether merging the row would leave its account, meter and readings as they are. A
    free-text cell holding a control character is never found equal, as on PostgreSQL
    (`content_of`): such a row is merged."""
    row = staged.row
    if not (row.holder.isprintable() and row.address.isprintable() and row.district.isprintable()):
        return False
    if (
        stored.number != row.account
        or stored.holder != row.holder
        or stored.address != row.address
        or stored.district != row.district
        or stored.service != row.service.value
        or stored.digits != row.digits
        or stored.decimals != row.decimals
        or stored.verification_due != row.verification_due
        or stored.status != row.status.value
        or stored.registers != "|".join(row.registers)
    ):
        return False
    # The merge's rule for the flag: the file's when it lists them, else the meter's own while
    # it stays one of hot water.
    if water_heaters:
        if stored.water_heater != row.water_heater:
            return False
    elif stored.water_heater and row.service is not Service.HOT_WATER:
        return False
    if row.period is not None:
        known = stored.known or ()
        return all(register in known for register in row.registers)
    return True


def held_meters(
    rows: list[StagedRow], stored: Mapping[Key, Stored], water_heaters: bool
) -> set[Key]:
    """The rows' meters that the database holds as their rows list them."""
    held: set[Key] = set()
    for staged in rows:
        key = meter_key(staged)
        found = stored.get(key)
        if found is not None and is_unchanged(staged, found, water_heaters):
            held.add(key)
    return held


# What PostgreSQL compares a row with (registry_lookups.py): the fields the registry carries,
# joined by a unit separator (chr(31)) that no cell holds; the rows by a record separator.
ROWS_SEPARATOR = "\x1e"
NEVER_EQUAL = "\x1d"  # never a stored meter's content: it holds no unit separator


def content_of(staged: StagedRow, water_heaters: bool) -> str:
    """The row's registry content as PostgreSQL builds a stored meter's (registry_lookups.py).
    The other cells are checked against patterns that admit no control character; a free-text
    cell holding one (a separator among them) makes the row never found equal: it is merged."""
    row = staged.row
    # (one call over the three cells joined: the same answer, once per row of a million)
    if not (row.holder + row.address + row.district).isprintable():
        return NEVER_EQUAL
    due = row.verification_due
    shape = _shape(row.service, row.registers, row.digits, row.decimals, row.status)
    heater = ("\x1ft" if row.water_heater else "\x1ff") if water_heaters else ""
    return (
        f"{row.account}\x1f{row.holder}\x1f{row.address}\x1f{row.district}\x1f"
        f"{due.isoformat() if due else ''}\x1f{shape}{heater}"
    )


@lru_cache(maxsize=256)
def _shape(
    service: Service, registers: tuple[str, ...], digits: int, decimals: int, status: MeterStatus
) -> str:
    """The cells a registry repeats a million times, joined once per distinct shape."""
    return f"{service.value}\x1f{'|'.join(registers)}\x1f{digits}\x1f{decimals}\x1f{status.value}"


def settle(
    rows: list[StagedRow], held: Collection[Key], staged_accounts: Collection[Key]
) -> tuple[list[StagedRow], list[StagedRow]]:
    """The rows to merge and the rows unchanged, each in line order. `rows` repeat no meter;
    `held` are those of their meters the database holds as listed; `staged_accounts` are
    accounts an earlier chunk of this import staged a row of."""
    # (account_key and meter_key written out: this runs for every row of a million.)
    # Accounts whose rows are each merged, so that the last one wins: those whose rows in the
    # chunk disagree with the account's first row, and those an earlier chunk staged a row of.
    first: dict[Key, tuple[str, str, str]] = {}
    merged: set[Key] = set(staged_accounts)
    for staged in rows:
        row = staged.row
        key = (staged.supplier_id, row.account)
        own = (row.holder, row.address, row.district)
        if first.setdefault(key, own) != own:
            merged.add(key)
    merge: list[StagedRow] = []
    same: list[StagedRow] = []
    for staged in rows:
        supplier_id, row = staged.supplier_id, staged.row
        if (supplier_id, row.serial) in held and (
            not merged or (supplier_id, row.account) not in merged
        ):
            same.append(staged)
        else:
            merge.append(staged)
    return merge, same
