"""A supplier's registry row: one meter with its account and, optionally, its last reading.

Rows are checked one by one; a bad row is reported with stable codes and never half-written.
Columns (CSV header names): ``supplier, account, holder, address, district, service, serial,
registers, digits, decimals, verification_due, status, period, values, water_heater``.
``registers`` and ``values`` list zones with ``|`` (``day|night``); ``registers`` defaults to
``T1``; ``water_heater`` (yes/no, так/ні, 1/0, true/false; empty is no) marks a hot-water meter
that feeds an electric water heater. The cells are parsed by `registry_cells`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from komunalka.domain.errors import InvalidReading, Violation
from komunalka.domain.meters import MeterStatus, normalize_serial, water_heater_violations
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.registry_cells import (
    checked_date,
    checked_reading,
    flag,
    iso_date,
    period_of,
    register_list,
    shape_violations,
    small_int,
)
from komunalka.domain.registry_faults import ROW_FAULT, fault_of
from komunalka.domain.services import Service
from komunalka.domain.values import parse_milli

COLUMNS = (
    "supplier",
    "account",
    "holder",
    "address",
    "district",
    "service",
    "serial",
    "registers",
    "digits",
    "decimals",
    "verification_due",
    "status",
    "period",
    "values",
    "water_heater",
)
REQUIRED = ("supplier", "account", "holder", "address", "service", "serial", "digits")
_ACCOUNT = re.compile(r"^[0-9A-Za-z\-/]{3,32}$")
_SERIAL = re.compile(r"^[0-9A-Z]{3,32}$")
_SERVICES = {s.value: s for s in Service}
_STATUSES = {s.value: s for s in MeterStatus}
MAX_TEXT = 300


class RegistryRow(NamedTuple):
    """A checked row. A named tuple, not a frozen dataclass: as immutable, and made a million
    times an import at a third of the cost (ADR 0022)."""

    supplier: str
    account: str
    holder: str
    address: str
    district: str
    service: Service
    serial: str
    registers: tuple[str, ...]
    digits: int
    decimals: int
    verification_due: date | None
    status: MeterStatus
    period: BillingPeriod | None
    values_milli: tuple[int, ...]
    water_heater: bool = False


# Where `named_cells` puts the cells of a row beyond its header: a column no header can name.
EXTRA_CELLS = "\x00extra"


def named_cells(header: Sequence[str], cells: Sequence[str]) -> dict[str, str | None]:
    """A file's row by column name. Filled cells past the header are kept apart (`EXTRA_CELLS`),
    so the row is refused rather than silently cut: they usually mean a comma left unquoted."""
    row: dict[str, str | None] = dict(zip(header, cells, strict=False))
    extra = [c for c in cells[len(header) :] if c and c.strip()]
    if extra:
        row[EXTRA_CELLS] = str(len(extra))
    return row


def parse_registry_row(raw: Mapping[str, str | None]) -> RegistryRow | list[Violation]:
    """The row as a RegistryRow, or every violation found in it (codes ``registry.*``)."""
    if ROW_FAULT in raw:  # the reader could not give its cells (NUL, huge cell, bad bytes)
        return fault_of(raw)
    extra = raw.get(EXTRA_CELLS)
    if extra:
        return [Violation("registry.extra_cells", {"count": extra})]
    return _usual_row(raw) or _checked_row(raw)


def cells_checker(
    header: Sequence[str],
) -> Callable[[Sequence[str]], RegistryRow | list[Violation]]:
    """Checks a file's rows given as their cells in the header's order, exactly as
    `parse_registry_row(named_cells(header, cells))` would (the same row, or the same
    violations): a row of as many cells as the header takes the short way by position, with no
    mapping made for it; any other row, and any row the short way does not take, goes by name.
    A million-row import reads its rows this way (ADR 0022)."""
    names = list(header)
    width = len(names)
    # The last of a repeated column, as `named_cells` keeps it; a column the header lacks reads
    # as an empty cell (the one put past the row's cells).
    at = {name: i for i, name in enumerate(names)}
    pick = itemgetter(*[at.get(c, width) for c in COLUMNS])
    complete = all(c in at for c in COLUMNS)
    # A header naming the reader's own marks is read by name, as those marks mean there.
    short = not ({EXTRA_CELLS, ROW_FAULT} & set(names))

    def check(cells: Sequence[str]) -> RegistryRow | list[Violation]:
        if short and len(cells) == width:
            found = _usual_cells(pick(cells) if complete else pick([*cells, ""]))
            if found is not None:
                return found
        return parse_registry_row(named_cells(names, cells))

    return check


def _usual_row(raw: Mapping[str, str | None]) -> RegistryRow | None:
    """The row if it is a good one of a shape already seen, else None (then `_checked_row` looks
    at it whole). A registry repeats a few shapes (service, registers, digits, ... period) a
    million times: a shape is judged once, and a row only for its own cells. Returns a row
    exactly when `_checked_row` would return the same one (tests/unit/domain/test_registry.py)."""
    get = raw.get
    return _usual_cells(tuple([get(c) or "" for c in COLUMNS]))


def _usual_cells(cells: tuple[str, ...]) -> RegistryRow | None:
    """`_usual_row` of the row's cells in COLUMNS' order, as they came (not yet trimmed)."""
    (
        supplier,
        account,
        holder,
        address,
        district,
        service_text,
        serial,
        registers_text,
        digits_text,
        decimals_text,
        due_text,
        status_text,
        period_text,
        values,
        heater_text,
    ) = cells
    shape = _shape_of(
        (
            service_text,
            registers_text,
            digits_text,
            decimals_text,
            status_text,
            period_text,
            heater_text,
        )
    )
    if shape is None:
        return None
    service, registers, digits, decimals, status, period, heater = shape
    # Verification dates vary from meter to meter: judged apart, each date once (iso_date).
    due_text = due_text.strip()
    due = iso_date(due_text) if due_text else None
    if due_text and due is None:
        return None
    supplier = supplier.strip()
    account = account.strip()
    holder = holder.strip()
    address = address.strip()
    district = district.strip()
    serial = serial.strip()
    values = values.strip()
    if not (supplier and holder and address and _ACCOUNT.match(account)):
        return None
    # A clean serial is its own normal form.
    if not _SERIAL.match(serial) and (
        len(serial) > MAX_TEXT or not _SERIAL.match(serial := normalize_serial(serial))
    ):
        return None
    if max(len(supplier), len(holder), len(address), len(district), len(values)) > MAX_TEXT:
        return None
    if period is None:
        if values:
            return None
        milli: tuple[int, ...] = ()
    elif len(registers) == 1 and "|" not in values:
        try:
            milli = (parse_milli(values, digits, decimals),)
        except InvalidReading:
            return None
    else:
        texts = values.split("|")
        if len(texts) != len(registers):
            return None
        try:
            milli = tuple([parse_milli(t, digits, decimals) for t in texts])
        except InvalidReading:
            return None
    return RegistryRow(
        supplier,
        account,
        holder,
        address,
        district,
        service,
        serial,
        registers,
        digits,
        decimals,
        due,
        status,
        period,
        milli,
        heater,
    )


_Shape = tuple[Service, tuple[str, ...], int, int, MeterStatus, BillingPeriod | None, bool]


@lru_cache(maxsize=1024)
def _shape_of(cells: tuple[str, ...]) -> _Shape | None:
    """`_good_shape` of the shape cells as they came: a row of a shape seen makes one lookup."""
    return _good_shape(*[c.strip() for c in cells])


@lru_cache(maxsize=256)
def _good_shape(
    service: str,
    registers: str,
    digits: str,
    decimals: str,
    status: str,
    period: str,
    water_heater: str,
) -> _Shape | None:
    """The shape cells parsed, or None if any of them is wrong (or `period` is, when given)."""
    kind = _SERVICES.get(service)
    state = _STATUSES.get(status or "active")
    digits_, decimals_ = small_int(digits), small_int(decimals or "0")
    zones = register_list(registers or "T1")
    heater = flag(water_heater)
    if kind is None or state is None or digits_ is None or decimals_ is None or heater is None:
        return None
    if shape_violations(zones, digits_, decimals_) or len(period) > MAX_TEXT:
        return None
    found = period_of(period) if period else None
    if isinstance(found, Violation) or water_heater_violations(kind, heater):
        return None
    return kind, zones, digits_, decimals_, state, found, heater


def _checked_row(raw: Mapping[str, str | None]) -> RegistryRow | list[Violation]:
    get = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    if not all(get[c] for c in REQUIRED):
        return [Violation("registry.missing", {"column": c}) for c in REQUIRED if not get[c]]
    if max(map(len, get.values())) > MAX_TEXT:
        return [Violation("registry.too_long", {"limit": str(MAX_TEXT)})]
    problems: list[Violation] = []
    if not _ACCOUNT.match(get["account"]):
        problems.append(Violation("registry.bad_account", {"account": get["account"]}))
    serial = normalize_serial(get["serial"])
    if not _SERIAL.match(serial):
        problems.append(Violation("registry.bad_serial", {"serial": get["serial"]}))
    service = _SERVICES.get(get["service"])
    if service is None:
        problems.append(Violation("registry.bad_service", {"service": get["service"]}))
    status = _STATUSES.get(get["status"] or "active")
    if status is None:
        problems.append(Violation("registry.bad_status", {"status": get["status"]}))
    digits, decimals = small_int(get["digits"]), small_int(get["decimals"] or "0")
    registers = register_list(get["registers"] or "T1")
    if digits is None:
        problems.append(Violation("meter.invalid_digits", {"digits": get["digits"]}))
    if decimals is None:
        problems.append(Violation("meter.invalid_decimals", {"decimals": get["decimals"]}))
    # A cell that is not a number was reported as written; judge the rest of the shape.
    problems += shape_violations(registers, 9 if digits is None else digits, decimals or 0)
    digits, decimals = digits or 0, decimals or 0
    due = checked_date(get["verification_due"], problems)
    period, values = checked_reading(
        get["period"], get["values"], registers, digits, decimals, problems
    )
    heater = _water_heater(get["water_heater"], service, problems)
    if problems or service is None or status is None:
        return problems
    return RegistryRow(
        get["supplier"],
        get["account"],
        get["holder"],
        get["address"],
        get["district"],
        service,
        serial,
        registers,
        digits,
        decimals,
        due,
        status,
        period,
        values,
        heater,
    )


def _water_heater(text: str, service: Service | None, problems: list[Violation]) -> bool:
    heater = flag(text)
    if heater is None:
        problems.append(Violation("registry.bad_water_heater", {"value": text}))
        return False
    if service is not None:
        problems += water_heater_violations(service, heater)
    return heater
