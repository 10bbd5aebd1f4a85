"""The resident's meters in the chat: the list with each one's status and last value, the
history of each (with a chart of the use), a hot-water meter's boiler (electric water heater)
switched on or off, and removing an account from the list."""

from __future__ import annotations

from komunalka.application.readings.list_my_meters import MeterOverview, PeriodStatus
from komunalka.application.readings.set_water_heater import SetWaterHeaterRequest
from komunalka.chat.history import (
    MORE_MONTHS,
    SHOWN,
    history_chart,
    history_text,
    months,
    more_button,
)
from komunalka.chat.model import Button, Reply
from komunalka.chat.notes import verification_note
from komunalka.chat.state import Menu
from komunalka.chat.turn import Turn
from komunalka.domain.ids import parse_id
from komunalka.domain.services import Service


async def my_meters(t: Turn) -> list[Reply]:
    meters = await t.uses.list_my_meters(t.identity.resident_id)
    if not meters:
        return [t.menu(t.say("chat.no_accounts"))]
    lines = [t.say("chat.meters_title"), *(meter_line(t, m) for m in meters)]
    t.state = Menu()
    fixable = any(m.status is PeriodStatus.SENT for m in meters)
    extra = (t.button("correct"),) if fixable else ()
    heaters = tuple(heater_button(t, m) for m in meters if m.meter.service is Service.HOT_WATER)
    buttons = (
        t.button("history"),
        *extra,
        *heaters,
        t.button("shared"),
        t.button("unlink"),
        t.button("menu"),
    )
    return [Reply("\n".join(lines), buttons)]


def heater_button(t: Turn, m: MeterOverview) -> Button:
    """Switches the hot-water meter's boiler mark: the label says what pressing it makes it."""
    label = "chat.heater_clear" if m.meter.water_heater else "chat.heater_set"
    return Button(t.say(label, serial=m.meter.serial), f"heater:{m.meter.id}")


async def water_heater(t: Turn, action: str) -> list[Reply]:
    """`heater:<id>`: the resident's hot-water meter's boiler mark switched; says what it is."""
    meter_id = action.split(":", 1)[1]
    mine = {m.meter.id: m.meter for m in await t.uses.list_my_meters(t.identity.resident_id)}
    wanted = parse_id(meter_id)
    meter = mine.get(wanted) if wanted is not None else None
    if meter is None:
        return [t.not_understood()]
    asked = SetWaterHeaterRequest(t.actor, meter.id, not meter.water_heater)
    done = await t.uses.set_water_heater(asked)
    said = "chat.heater_on" if done.meter.water_heater else "chat.heater_off"
    return [t.menu(t.say(said, serial=meter.serial))]


def meter_line(t: Turn, m: MeterOverview) -> str:
    line = t.say(
        "chat.meter_line",
        service=t.say(f"service.{m.meter.service.value}"),
        serial=m.meter.serial,
        supplier=m.supplier.name,
        status=status(t, m),
        last=last_values(t, m),
    )
    if m.meter.water_heater:
        line = f"{line}\n{t.say('chat.meter_water_heater')}"
    note = verification_note(m, t.say)
    return f"{line}\n{note}" if note else line


def status(t: Turn, m: MeterOverview) -> str:
    """This period's status; a window that takes readings early says so, and when they go on."""
    if m.status is PeriodStatus.DUE and m.passed_on is not None:
        return t.say("chat.status_early", date=m.passed_on)
    return t.say(f"chat.status_{m.status.value}", opens=m.opens_on)


def last_values(t: Turn, m: MeterOverview) -> str:
    """The last value with its period; a meter of several zones, each zone's, named."""

    def shown(register: str) -> str:
        last = m.last.get(register)
        if last is None:
            return "—"
        return f"{t.reading(last.value, m.meter.decimals)} ({t.month(last.period)})"

    if len(m.meter.registers) == 1:
        return shown(m.meter.registers[0])
    periods = {last.period for last in m.last.values()}
    if len(periods) == 1 and len(m.last) == len(m.meter.registers):  # the period said once
        values = ", ".join(
            f"{t.zone(r)} {t.reading(m.last[r].value, m.meter.decimals)}" for r in m.meter.registers
        )
        return f"{values} ({t.month(periods.pop())})"
    return ", ".join(f"{t.zone(r)} {shown(r)}" for r in m.meter.registers)


async def history(t: Turn) -> list[Reply]:
    """Every meter's last months at a glance, with use and its cost at the tariff, its chart
    of the last year, and "more" when it has more months."""
    meters = await t.uses.list_my_meters(t.identity.resident_id)
    if not meters:
        return [t.menu(t.say("chat.no_accounts"))]
    replies: list[Reply] = []
    more: list[Button] = []
    for m in meters:
        found = await t.uses.reading_history(t.actor, m.meter.id, 12)
        picture = await history_chart(t, found)
        said = history_text(t, found)
        note = verification_note(m, t.say)
        replies.append(Reply(f"{said}\n{note}" if note else said, picture=picture))
        more += more_button(t, found)
    # The "more" buttons go with the menu, the last message: Viber shows only its keyboard.
    menu = t.menu()
    return [*replies, Reply(menu.text, (*more, *menu.buttons))]


async def more_history(t: Turn, action: str) -> list[Reply]:
    """`hmore:<meter>`: the resident's meter's months before those at a glance."""
    meter_id = parse_id(action.split(":", 1)[1])
    if meter_id is None:
        return [t.not_understood()]
    found = await t.uses.reading_history(t.actor, meter_id, MORE_MONTHS)
    if len(months(found)) <= SHOWN:
        return [t.menu(t.say("chat.history_no_more", serial=found.meter.serial))]
    return [Reply(history_text(t, found, start=SHOWN, count=MORE_MONTHS)), t.menu()]


async def unlink(t: Turn, action: str) -> list[Reply]:
    """`unlink`: which account?; `unlink:<id>`: that one goes."""
    meters = await t.uses.list_my_meters(t.identity.resident_id)
    accounts = {m.account.id: f"{m.supplier.name} {m.account.number}" for m in meters}
    if action == "unlink":
        buttons = tuple(Button(label, f"unlink:{aid}") for aid, label in accounts.items())
        return [Reply(t.say("chat.unlink_which"), (*buttons, t.button("menu")))]
    account_id = parse_id(action.split(":", 1)[1])
    if account_id is None or account_id not in accounts:
        return [t.not_understood()]
    await t.uses.unlink_account(t.actor, account_id)
    return [t.menu(t.say("chat.unlinked", account=accounts[account_id]))]
