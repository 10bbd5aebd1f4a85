"""Accounts, meters and their registers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.services import Service
from komunalka.domain.windows import WindowRule

TOTAL = "total"
# Registers a meter may have: one zone, two (day/night), three (peak/half-peak/night) and a total.
REGISTER_CODES = ("T1", "day", "night", "peak", "half_peak", TOTAL)
MAX_DECIMALS = 3


class Verification(StrEnum):
    """Where a meter stands with its verification (повірка): due within the warning days, or
    past (its readings are refused: ``meter.verification_overdue``)."""

    SOON = "soon"
    OVERDUE = "overdue"


class MeterStatus(StrEnum):
    ACTIVE = "active"
    REPLACED = "replaced"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class Supplier:
    id: int
    code: str
    name: str
    window: WindowRule
    # A full-match regex for the supplier's account numbers, used to pick the supplier from a
    # number alone and to refuse a mistyped number before it is looked up.
    account_pattern: str = r"\d{6,12}"

    def account_number_matches(self, number: str) -> bool:
        return re.fullmatch(self.account_pattern, number) is not None


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    supplier_id: int
    number: str
    holder: str
    address: str
    district: str = ""

    @property
    def masked_holder(self) -> str:
        """``Шевченко Тарас Григорович`` → ``Шев***** Т. Г.``: enough to recognise, not to learn."""
        return mask_name(self.holder)


def mask_name(name: str) -> str:
    """A person's name masked: the first word's first three letters, the others' initials
    (``Шевченко Тарас`` → ``Шев***** Т.``): enough to recognise, not to learn."""
    parts = name.split()
    if not parts:
        return ""
    first = parts[0]
    masked = first[:3] + "*" * max(len(first) - 3, 0)
    return " ".join([masked, *(p[0] + "." for p in parts[1:])])


def surname_prefix(holder: str) -> str:
    """The first three letters of the holder's surname, the proof the gas supplier asks for."""
    surname = holder.split()[0] if holder.split() else ""
    return normalize_letters(surname)[:3]


def normalize_letters(text: str) -> str:
    # Apostrophes come in several shapes in Ukrainian names (ʼ ' ’); ignore them all.
    return re.sub(r"[\s'’ʼ`\-]", "", text).casefold()


_SERIAL_NOISE = re.compile(r"[\s\-_/.]")


def normalize_serial(serial: str) -> str:
    return _SERIAL_NOISE.sub("", serial).upper()


@dataclass(frozen=True, slots=True)
class Meter:
    id: int
    account_id: int
    service: Service
    serial: str
    registers: tuple[str, ...]
    digits: int
    decimals: int
    verification_due: date | None = None
    status: MeterStatus = MeterStatus.ACTIVE
    # An electric water heater ("boiler") on this hot-water meter: its owner must send the
    # reading every month even when it has not changed (DOMAIN.md, the rules residents live by).
    water_heater: bool = False

    def __post_init__(self) -> None:
        problems = meter_shape_violations(self.registers, self.digits, self.decimals)
        problems += water_heater_violations(self.service, self.water_heater)
        if problems:
            raise DomainError(problems)

    @property
    def zones(self) -> tuple[str, ...]:
        return tuple(r for r in self.registers if r != TOTAL)

    @property
    def has_total(self) -> bool:
        return TOTAL in self.registers

    @property
    def capacity(self) -> Decimal:
        """The first value the meter cannot show: all nines plus one (it rolls over to zero)."""
        return Decimal(10) ** self.digits

    def verification_overdue(self, today: date) -> bool:
        return self.verification_due is not None and self.verification_due < today

    def verification(self, today: date, soon_days: int) -> Verification | None:
        """SOON from `soon_days` days before the due date to the due date itself (readings are
        still taken that day), OVERDUE after it; None otherwise or without a date."""
        due = self.verification_due
        if due is None:
            return None
        if due < today:
            return Verification.OVERDUE
        return Verification.SOON if (due - today).days <= soon_days else None


def meter_shape_violations(
    registers: tuple[str, ...], digits: int, decimals: int
) -> list[Violation]:
    problems = []
    zones = [r for r in registers if r != TOTAL]
    if (
        not 1 <= len(zones) <= 3
        or len(set(registers)) != len(registers)
        or any(r not in REGISTER_CODES for r in registers)
        or (TOTAL in registers and len(zones) < 2)
    ):
        problems.append(Violation("meter.invalid_registers", {"registers": "|".join(registers)}))
    if not 1 <= digits <= 9:
        problems.append(Violation("meter.invalid_digits", {"digits": str(digits)}))
    if not 0 <= decimals <= MAX_DECIMALS:
        problems.append(Violation("meter.invalid_decimals", {"decimals": str(decimals)}))
    return problems


def water_heater_violations(service: Service, water_heater: bool) -> list[Violation]:
    """Only a hot-water meter may be marked as feeding an electric water heater."""
    if water_heater and service is not Service.HOT_WATER:
        return [Violation("meter.water_heater_not_hot_water", {"service": service.value})]
    return []
