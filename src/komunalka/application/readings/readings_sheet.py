"""The readings sheet: everything a door shows to take readings, decided here once.

For a resident (ShowReadingsSheet) or an operator's caller (the account card's `sheet`): every
meter with its status and the current or the next window, and per register (zone) the last
value, the value before the window's period, this period's, and whether "unchanged" is
offered. A door parses what the person typed into `SheetAnswer`s, turns them into reading items
with `items()`, and after a refused try renders `after(error, answers)`: the same sheet with the
answers back, each error and warning placed on its meter and zone, the rest as `problems`.
Doors translate the codes; they decide nothing about readings. Read-only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from komunalka.application.readings.judging import ReadingItem
from komunalka.application.readings.list_my_meters import ListMyMeters, MeterOverview, PeriodStatus
from komunalka.domain.errors import DomainError, Severity, Violation
from komunalka.domain.readings import Reading
from komunalka.domain.values import format_value


@dataclass(frozen=True, slots=True)
class SheetAnswer:
    """What the person gave for one register: a typed value, or "unchanged", and the codes of
    the warnings they confirmed."""

    meter_id: int
    register: str
    value: str = ""
    unchanged: bool = False
    confirm: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        return f"{self.meter_id}.{self.register}"


@dataclass(frozen=True, slots=True)
class SheetLine:
    """One register (zone) of one meter."""

    meter_id: int
    register: str
    # The last accepted reading: the value shown as the meter's last, and the one "unchanged"
    # repeats (it may be of the window's period already).
    last: Reading | None = None
    # The last accepted reading before the window's period, what a new value is checked against.
    previous: Reading | None = None
    # The accepted reading of the window's period, when one was sent.
    current: Reading | None = None
    # After a try: the answer given, and the violations placed here.
    answer: SheetAnswer | None = None
    errors: tuple[Violation, ...] = ()
    warnings: tuple[Violation, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.meter_id}.{self.register}"

    @property
    def offers_unchanged(self) -> bool:
        """Whether "unchanged" may be chosen: there is a value to repeat (a water heater
        owner's hot water, a flat nobody lives in, month after month)."""
        return self.last is not None


@dataclass(frozen=True, slots=True)
class SheetMeter:
    overview: MeterOverview
    lines: tuple[SheetLine, ...]

    @property
    def due(self) -> bool:
        return self.overview.status is PeriodStatus.DUE

    @property
    def open(self) -> bool:
        """Its window is open and it is not blocked: it takes readings (or corrections)."""
        return self.overview.status in (PeriodStatus.DUE, PeriodStatus.SENT)


@dataclass(frozen=True, slots=True)
class ReadingsSheet:
    meters: tuple[SheetMeter, ...]
    # After a try: the violations that belong to no line of the sheet.
    problems: tuple[Violation, ...] = ()
    tried: bool = False

    @property
    def due(self) -> list[SheetMeter]:
        return [m for m in self.meters if m.due]

    @property
    def only_warnings(self) -> bool:
        """After a try: nothing but warnings stood in the way (confirming them sends)."""
        lines = [line for m in self.meters for line in m.lines]
        general = all(v.severity is Severity.WARNING for v in self.problems)
        return self.tried and general and not any(line.errors for line in lines)

    def line(self, meter_id: int, register: str) -> SheetLine | None:
        return next(
            (
                x
                for m in self.meters
                for x in m.lines
                if (x.meter_id, x.register) == (meter_id, register)
            ),
            None,
        )

    def items(self, answers: Iterable[SheetAnswer]) -> list[ReadingItem]:
        """The reading items the answers make: a typed value as typed, "unchanged" (with
        nothing typed) as the last value; empty answers are left out. An answer for a meter not
        on the sheet goes on as typed, for the submission to refuse."""
        items = []
        for answer in answers:
            value = answer.value.strip()
            line = self.line(answer.meter_id, answer.register)
            if not value and answer.unchanged and line is not None and line.last is not None:
                meter = self._meter(answer.meter_id)
                decimals = meter.overview.meter.decimals if meter else 0
                value = format_value(line.last.value, decimals)
            if value:
                items.append(ReadingItem(answer.meter_id, value, answer.register, answer.confirm))
        return items

    def after(self, error: DomainError, answers: Iterable[SheetAnswer]) -> ReadingsSheet:
        """The sheet after a refused try: the answers back on their lines, each violation on
        its register (or the meter's first line when it names no register of the sheet)."""
        given = {a.key: a for a in answers}
        placed: dict[str, list[Violation]] = {}
        problems = []
        for v in error.violations:
            target = self._target(v)
            if target is None:
                problems.append(v)
            else:
                placed.setdefault(target, []).append(v)
        meters = tuple(
            replace(
                m, lines=tuple(_tried(x, given.get(x.key), placed.get(x.key, [])) for x in m.lines)
            )
            for m in self.meters
        )
        return ReadingsSheet(meters, tuple(problems), tried=True)

    def _meter(self, meter_id: int) -> SheetMeter | None:
        return next((m for m in self.meters if m.overview.meter.id == meter_id), None)

    def _target(self, v: Violation) -> str | None:
        meter = self._meter(v.meter_id) if v.meter_id is not None else None
        if meter is None or not meter.lines:
            return None
        exact = [x.key for x in meter.lines if x.register == v.register]
        return exact[0] if exact else meter.lines[0].key


def _tried(line: SheetLine, answer: SheetAnswer | None, found: list[Violation]) -> SheetLine:
    errors = tuple(v for v in found if v.severity is not Severity.WARNING)
    warnings = tuple(v for v in found if v.severity is Severity.WARNING)
    return replace(line, answer=answer, errors=errors, warnings=warnings)


def typed_items(answers: Iterable[SheetAnswer]) -> list[ReadingItem] | None:
    """The reading items of answers that are all typed (or empty), as `ReadingsSheet.items`
    makes them on any sheet, so a door need not build the sheet to send them; None when an
    answer is "unchanged" with nothing typed, which stands for a value only the sheet knows."""
    items = []
    for answer in answers:
        value = answer.value.strip()
        if not value and answer.unchanged:
            return None
        if value:
            items.append(ReadingItem(answer.meter_id, value, answer.register, answer.confirm))
    return items


def sheet_of(overviews: Sequence[MeterOverview]) -> ReadingsSheet:
    """The sheet of these meters (each overview made with its accepted history)."""
    meters = []
    for o in overviews:
        lines = []
        for register in o.meter.registers:
            last = o.last.get(register)
            current = last if last is not None and last.period == o.period else None
            lines.append(SheetLine(o.meter.id, register, last, o.previous.get(register), current))
        meters.append(SheetMeter(o, tuple(lines)))
    return ReadingsSheet(tuple(meters))


class ShowReadingsSheet:
    """The sheet of every meter of a resident's linked accounts. Who may call it: the resident,
    or staff on their behalf. Read-only."""

    def __init__(self, list_my_meters: ListMyMeters) -> None:
        self._list_my_meters = list_my_meters

    async def __call__(self, resident_id: int) -> ReadingsSheet:
        return sheet_of(await self._list_my_meters(resident_id))
