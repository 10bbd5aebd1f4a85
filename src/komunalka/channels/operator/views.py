"""What the console's pages share: who may open them, how errors read, small view helpers."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from komunalka.application.readings.readings_sheet import ReadingsSheet
from komunalka.application.staff.view_account import AccountCard
from komunalka.channels.pages.routes import not_found_page
from komunalka.channels.pages.security import require_staff
from komunalka.channels.pages.templating import Pages
from komunalka.domain.errors import DomainError
from komunalka.domain.staff import StaffRole
from komunalka.i18n import translate

# The search and the account card: every staff role (supplier staff read-only, own supplier).
CONSOLE = require_staff(
    StaffRole.CALL_CENTER, StaffRole.DISTRICT, StaffRole.SUPPLIER, StaffRole.ADMINISTRATOR
)
# Taking and correcting readings for a caller.
TAKERS = require_staff(StaffRole.CALL_CENTER, StaffRole.DISTRICT, StaffRole.ADMINISTRATOR)
# Staff and suppliers.
ADMINS = require_staff(StaffRole.ADMINISTRATOR)


def not_found(pages: Pages, request: Request) -> Response:
    return not_found_page(pages, request, "operator.account_not_found")


def messages(error: DomainError, language: str, card: AccountCard | None = None) -> list[str]:
    """The violations in words, each naming the meter (and register) it is about."""
    meters = {m.overview.meter.id: m.overview.meter for m in card.meters} if card else {}
    result = []
    for v in error.violations:
        text = translate(v.code, language, v.params)
        meter = meters.get(v.meter_id) if v.meter_id is not None else None
        if meter is not None:
            where = meter.serial
            if v.register and len(meter.registers) > 1:
                where += " · " + translate(f"operator.register_{v.register}", language)
            text = f"{where}: {text}"
        result.append(text)
    return result


def to_confirm(tried: ReadingsSheet) -> dict[str, str]:
    """When only warnings stood in the way: the codes to confirm by field (``meter.register``),
    joined by commas."""
    if not tried.only_warnings:
        return {}
    lines = [x for m in tried.meters for x in m.lines if x.warnings]
    return {x.key: ",".join(v.code for v in x.warnings) for x in lines}


def spell(receipt: str) -> str:
    """A receipt as it is read out on the phone: ``2611-7KQ2`` → ``2 6 1 1 — 7 K Q 2``."""
    return " — ".join(" ".join(group) for group in receipt.split("-"))
