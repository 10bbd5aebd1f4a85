"""A meter's history as chat text that reads at a glance: one line a month, newest first, with
the month's use (and its estimated cost where a tariff prices it) and the values the meter
showed; the last `SHOWN` months first, the rest behind a "more" button (`hmore:<meter>`).

`history_text` builds the message as a list of lines (title, months, notes), so a line more for
a meter (a verification date, an estimated bill) is one more entry in `notes`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal

from komunalka.application.readings.reading_history import MeterHistory, use_by_zone
from komunalka.application.shared.ports import ZoneUse
from komunalka.chat.model import Button
from komunalka.chat.turn import Turn
from komunalka.domain.meters import TOTAL, Meter
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import ReadingStatus
from komunalka.formats import signed
from komunalka.money import format_money

SHOWN = 6  # months at a glance; the rest behind "more"
MORE_MONTHS = 36  # how far back "more" reaches


@dataclass(frozen=True, slots=True)
class Month:
    """One period of a meter's history: each zone's value, the use and what it costs."""

    period: BillingPeriod
    values: tuple[tuple[str, Decimal], ...]  # (register, value) in the meter's order
    used: Decimal | None  # the zones' use together (the total left out); None when not known
    cost: Decimal | None  # None without a tariff


def months(found: MeterHistory) -> list[Month]:
    """The accepted readings grouped by period, newest first."""
    meter = found.meter
    by_period: dict[BillingPeriod, list[tuple[str, Decimal, Decimal | None, Decimal | None]]] = {}
    for e in found.entries:
        if e.reading.status is ReadingStatus.ACCEPTED:
            r = e.reading
            by_period.setdefault(r.period, []).append((r.register, r.value, e.consumption, e.cost))
    found_months = []
    for period in sorted(by_period, reverse=True):
        rows = sorted(by_period[period], key=lambda x: _order(meter, x[0]))
        zones = [x for x in rows if x[0] != TOTAL]  # the total is the zones' sum
        uses = [x[2] for x in zones]
        used = None if None in uses else sum((u for u in uses if u is not None), Decimal(0))
        costs = [x[3] for x in zones if x[3] is not None]
        cost = sum(costs, Decimal(0)) if costs else None
        found_months.append(Month(period, tuple((x[0], x[1]) for x in rows), used, cost))
    return found_months


def history_text(t: Turn, found: MeterHistory, *, start: int = 0, count: int = SHOWN) -> str:
    """The title, `count` months from the `start`-th newest, and the notes."""
    lines = [title(t, found.meter)]
    lines += [month_line(t, found.meter, m) for m in months(found)[start : start + count]]
    lines += notes(t, found)
    return "\n".join(lines)


def notes(t: Turn, found: MeterHistory) -> list[str]:
    """What the months need said under them."""
    return [t.say("chat.demo_prices")] if found.demo_prices else []


def more_button(t: Turn, found: MeterHistory) -> tuple[Button, ...]:
    """ "More" for a meter with more months than the glance shows."""
    if len(months(found)) <= SHOWN:
        return ()
    meter = found.meter
    return (Button(t.say("chat.history_more", serial=meter.serial), f"hmore:{meter.id}"),)


def title(t: Turn, meter: Meter) -> str:
    return t.say(
        "chat.history_title", service=t.say(f"service.{meter.service.value}"), serial=meter.serial
    )


def month_line(t: Turn, meter: Meter, m: Month) -> str:
    """`жовтень 2026: +2,5 Гкал ≈ 4 500,00 грн (117,5)`; a meter of several zones names them."""
    if len(meter.registers) == 1:
        values = ", ".join(t.reading(v, meter.decimals) for _, v in m.values)
    else:
        values = ", ".join(f"{t.zone(r)} {t.reading(v, meter.decimals)}" for r, v in m.values)
    if m.used is None:
        return t.say("chat.history_line_first", month=t.month(m.period), values=values)
    unit = t.say(f"unit.{meter.service.unit}")
    use = t.say("chat.history_use", used=signed(m.used, meter.decimals, t.lang), unit=unit)
    if m.cost is not None:
        use = t.say("chat.history_cost", use=use, cost=format_money(m.cost, t.lang))
    return t.say("chat.history_line", month=t.month(m.period), use=use, values=values)


async def history_chart(t: Turn, found: MeterHistory) -> bytes | None:
    """The use per period as a bar chart (PNG), a meter's zones stacked in each period's bar,
    drawn off the event loop; None without use."""
    meter, charts = found.meter, t.setting.charts
    periods, zones = use_by_zone(found)
    if charts is None or not periods:
        return None
    named = title(t, meter).rstrip(":")
    unit = t.say(f"unit.{meter.service.unit}")
    axis = t.say("chart.month")
    if len(zones) == 1:
        (values,) = zones.values()
        return await asyncio.to_thread(charts.consumption_chart, named, periods, values, unit, axis)
    legend = [ZoneUse(t.zone(z), tuple(v)) for z, v in zones.items()]
    return await asyncio.to_thread(charts.zones_chart, named, periods, legend, unit, axis)


def _order(meter: Meter, register: str) -> int:
    return meter.registers.index(register) if register in meter.registers else len(meter.registers)
