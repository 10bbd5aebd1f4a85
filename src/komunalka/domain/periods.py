"""Billing periods: one calendar month of a supplier's billing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from komunalka.domain.errors import DomainError

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
# The years a period may be written with: well inside the range a period can be built with
# (1900-9999), so reading history back or a window forward never leaves it.
WRITTEN_YEARS = range(1950, 3000)


@dataclass(frozen=True, slots=True, order=True)
class BillingPeriod:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12) or not (1900 <= self.year <= 9999):
            raise DomainError.of("period.invalid", period=f"{self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> BillingPeriod:
        match = _PERIOD.match(text.strip())
        if not match:
            raise DomainError.of("period.invalid", period=text)
        if int(match[1]) not in WRITTEN_YEARS:
            raise DomainError.of("period.invalid", period=text)
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def from_index(cls, index: int) -> BillingPeriod:
        return cls(index // 12, index % 12 + 1)

    @property
    def index(self) -> int:
        """Months since year 0: a compact, ordered key (stored as an integer)."""
        return self.year * 12 + self.month - 1

    def shift(self, months: int) -> BillingPeriod:
        return BillingPeriod.from_index(self.index + months)

    def months_since(self, other: BillingPeriod) -> int:
        return self.index - other.index

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
