"""A meter's history as chat text: one line a period, with use and its estimated cost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from komunalka.application.readings.reading_history import (
    HistoryEntry,
    MeterHistory,
    use_by_zone,
)
from komunalka.application.shared.ports import ChartRenderer, ZoneUse
from komunalka.domain.meters import Meter
from komunalka.domain.readings import ReadingStatus
from komunalka.domain.values import format_value
from komunalka.i18n import DEFAULT_LANGUAGE
from komunalka.money import format_money

Say = Callable[..., str]


def history_text(found: MeterHistory, say: Say, language: str = DEFAULT_LANGUAGE) -> str:
    meter = found.meter
    title = say(
        "chat.history_title", service=say(f"service.{meter.service.value}"), serial=meter.serial
    )
    lines = [title]
    lines += [
        _line(e, meter, say, language)
        for e in found.entries
        if e.reading.status is ReadingStatus.ACCEPTED
    ]
    if found.demo_prices:
        lines.append(say("chat.demo_prices"))
    return "\n".join(lines)


async def history_chart(
    found: MeterHistory, say: Say, charts: ChartRenderer | None
) -> bytes | None:
    """The use per period as a bar chart (PNG), a meter's zones stacked in each period's bar,
    drawn off the event loop; None without use."""
    meter = found.meter
    periods, zones = use_by_zone(found)
    if charts is None or not periods:
        return None
    title = say(
        "chat.history_title", service=say(f"service.{meter.service.value}"), serial=meter.serial
    ).rstrip(":")
    unit = say(f"unit.{meter.service.unit}")
    axis = say("chart.month")
    if len(zones) == 1:
        (values,) = zones.values()
        return await asyncio.to_thread(charts.consumption_chart, title, periods, values, unit, axis)
    named = [ZoneUse(say(f"cabinet.zone_{z.lower()}"), tuple(v)) for z, v in zones.items()]
    return await asyncio.to_thread(charts.zones_chart, title, periods, named, unit, axis)


def _line(entry: HistoryEntry, meter: Meter, say: Say, language: str) -> str:
    reading = entry.reading
    zone = "" if len(meter.registers) == 1 else f" {reading.register}"
    text = f"{reading.period}{zone}: {format_value(reading.value, meter.decimals)}"
    if entry.consumption is None:
        return text
    used = f"+{format_value(entry.consumption, meter.decimals)} {say(f'unit.{meter.service.unit}')}"
    if entry.cost is not None:
        used += f", ≈{format_money(entry.cost, language)}"
    return f"{text} ({used})"
