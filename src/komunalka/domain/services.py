"""The utility services a supplier bills for."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum


class Service(StrEnum):
    HEAT = "heat"
    HOT_WATER = "hot_water"
    COLD_WATER = "cold_water"
    GAS = "gas"
    ELECTRICITY = "electricity"

    @property
    def unit(self) -> str:
        return _UNITS[self]

    @property
    def typical_monthly_ceiling(self) -> Decimal:
        """A month's use above which a meter with no history of its own asks for confirmation.

        Generous household figures: a flat rarely uses more than this in a month.
        """
        return _CEILINGS[self]


_UNITS = {
    Service.HEAT: "Gcal",
    Service.HOT_WATER: "m3",
    Service.COLD_WATER: "m3",
    Service.GAS: "m3",
    Service.ELECTRICITY: "kWh",
}

_CEILINGS = {
    Service.HEAT: Decimal(5),
    Service.HOT_WATER: Decimal(30),
    Service.COLD_WATER: Decimal(40),
    Service.GAS: Decimal(600),
    Service.ELECTRICITY: Decimal(2000),
}


class Channel(StrEnum):
    """The door a write came through; recorded with every reading and audit entry."""

    API = "api"
    TELEGRAM = "telegram"
    VIBER = "viber"
    WEB = "web"
    PHONE = "phone"
    SERVICE_CENTER = "service_center"
    REGISTRY = "registry"
    # the command line's commands (and the system's own work started from it)
    CLI = "cli"
    # the bot's conversation typed in a terminal (`komunalka chat`): a chat, like Telegram's
    TERMINAL = "terminal"
    # a text message through the SMS gateway (channels/sms, ADR 0026)
    SMS = "sms"
