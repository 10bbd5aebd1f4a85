"""A meter's history as chat text: one line a period, with use and its estimated cost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from komunalka.application.readings.reading_history import HistoryEntry, MeterHistory
from komunalka.application.shared.ports import ChartRenderer
from komunalka.domain.meters import Meter
from komunalka.domain.readings import ReadingStatus
from komunalka.domain.values import format_value

Say = Callable[..., str]


def history_text(found: MeterHistory, say: Say) -> str:
    meter = found.meter
    title = say(
        "chat.history_title", service=say(f"service.{meter.service.value}"), serial=meter.serial
    )
    lines = [title]
    lines += [
        _line(e, meter, say) for e in found.entries if e.reading.status is ReadingStatus.ACCEPTED
    ]
    if found.demo_prices:
        lines.append(say("chat.demo_prices"))
    return "\n".join(lines)


async def history_chart(
    found: MeterHistory, say: Say, charts: ChartRenderer | None
) -> bytes | None:
    """The use per period as a bar chart (PNG), drawn off the event loop; None without use."""
    meter = found.meter
    used = [
        e
        for e in reversed(found.entries)
        if e.consumption is not None and e.reading.status is ReadingStatus.ACCEPTED
    ]
    if charts is None or not used:
        return None
    zones = len(meter.registers) > 1
    labels = [f"{e.reading.period}{' ' + e.reading.register if zones else ''}" for e in used]
    values = [float(e.consumption or 0) for e in used]
    title = say(
        "chat.history_title", service=say(f"service.{meter.service.value}"), serial=meter.serial
    )
    unit = say(f"unit.{meter.service.unit}")
    return await asyncio.to_thread(
        charts.consumption_chart, title.rstrip(":"), labels, values, unit
    )


def _line(entry: HistoryEntry, meter: Meter, say: Say) -> str:
    reading = entry.reading
    zone = "" if len(meter.registers) == 1 else f" {reading.register}"
    text = f"{reading.period}{zone}: {format_value(reading.value, meter.decimals)}"
    if entry.consumption is None:
        return text
    used = f"+{format_value(entry.consumption, meter.decimals)} {say(f'unit.{meter.service.unit}')}"
    if entry.cost is not None:
        used += f", ≈{entry.cost} {say('chat.uah')}"
    return f"{text} ({used})"
