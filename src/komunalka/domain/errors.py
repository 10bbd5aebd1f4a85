"""Violations: what a rule found wrong, as a stable code with parameters, never text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    # A warning is accepted only when the caller confirms its code.
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule's finding: a stable `code` (``"reading.below_previous"``) with parameters.

    Doors turn the code into words in the user's language."""

    code: str
    params: Mapping[str, str] = field(default_factory=dict)
    severity: Severity = Severity.ERROR
    # Where it applies, when it applies to one part of a request (a meter, a register, a row).
    meter_id: int | None = None
    register: str | None = None

    def at(self, meter_id: int | None, register: str | None = None) -> Violation:
        return Violation(self.code, self.params, self.severity, meter_id, register)


class DomainError(Exception):
    """Raised when a request breaks a rule; carries every violation found, nothing was changed."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        super().__init__(", ".join(v.code for v in violations))
        self.violations = tuple(violations)

    @classmethod
    def of(cls, code: str, **params: object) -> DomainError:
        return cls([Violation(code, {k: str(v) for k, v in params.items()})])

    @property
    def code(self) -> str:
        return self.violations[0].code


class InvalidReading(DomainError):
    """A typed value that is not a reading this register can take."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__([Violation(code, {k: str(v) for k, v in params.items()})])
