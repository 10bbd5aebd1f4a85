"""The resident's meters in the chat: the list with each one's status and last value, the
history of each (with a chart of the use), a hot-water meter's boiler (electric water heater)
switched on or off, and removing an account from the list."""

from __future__ import annotations

from komunalka.application.readings.list_my_meters import MeterOverview, PeriodStatus
from komunalka.application.readings.set_water_heater import SetWaterHeaterRequest
from komunalka.chat.history import history_chart, history_text
from komunalka.chat.model import Button, Reply
from komunalka.chat.state import Menu
from komunalka.chat.turn import Turn
from komunalka.domain.ids import parse_id
from komunalka.domain.services import Service
from komunalka.domain.values import format_value
from komunalka.i18n import day_in_words


async def my_meters(t: Turn) -> list[Reply]:
    meters = await t.uses.list_my_meters(t.identity.resident_id)
    if not meters:
        return [t.menu(t.say("chat.no_accounts"))]
    lines = [t.say("chat.meters_title"), *(meter_line(t, m) for m in meters)]
    t.state = Menu()
    fixable = any(m.status is PeriodStatus.SENT for m in meters)
    extra = (t.button("correct"),) if fixable else ()
    heaters = tuple(heater_button(t, m) for m in meters if m.meter.service is Service.HOT_WATER)
    buttons = (t.button("history"), *extra, *heaters, t.button("unlink"), t.button("menu"))
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
    return f"{line}\n{t.say('chat.meter_water_heater')}" if m.meter.water_heater else line


def status(t: Turn, m: MeterOverview) -> str:
    """This period's status; a window that takes readings early says so, and when they go on."""
    if m.status is PeriodStatus.DUE and m.passed_on is not None:
        return t.say("chat.status_early", date=day_in_words(m.passed_on, t.lang))
    return t.say(f"chat.status_{m.status.value}", opens=m.opens_on.isoformat())


def last_values(t: Turn, m: MeterOverview) -> str:
    """The last value with its period; a meter of several zones, each zone's, named."""

    def shown(register: str) -> str:
        last = m.last.get(register)
        return f"{format_value(last.value, m.meter.decimals)} ({last.period})" if last else "—"

    if len(m.meter.registers) == 1:
        return shown(m.meter.registers[0])
    return ", ".join(f"{t.zone(r)} {shown(r)}" for r in m.meter.registers)


async def history(t: Turn) -> list[Reply]:
    """The last 12 readings of every meter, with use and its cost at the tariff."""
    meters = await t.uses.list_my_meters(t.identity.resident_id)
    replies = []
    for m in meters:
        found = await t.uses.reading_history(t.actor, m.meter.id, 12)
        picture = await history_chart(found, t.say, t.setting.charts)
        replies.append(Reply(history_text(found, t.say), picture=picture))
    return [*replies, t.menu()] if replies else [t.menu(t.say("chat.no_accounts"))]


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
