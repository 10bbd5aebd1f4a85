"""What the portal's route modules share: who may come in, the page helpers `build_router`
hands them, and small view helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.suppliers.supplier_access import SupplierChoice
from komunalka.channels.pages.security import require_staff
from komunalka.channels.supplier.use_cases import SupplierUseCases
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.staff import StaffMember, StaffRole
from komunalka.domain.windows import OpenWindow

staff_only = require_staff(StaffRole.SUPPLIER, StaffRole.ADMINISTRATOR)
SignedIn = Annotated[Viewer, Depends(staff_only)]


def member(viewer: Viewer) -> StaffMember:
    assert viewer.staff is not None  # staff_only let only staff in
    return viewer.staff


Choose = Callable[[Viewer, str | None], Awaitable[SupplierChoice]]
Render = Callable[..., HTMLResponse]
Errors = Callable[[Request, Viewer, DomainError], list[str]]


class PortalPages:
    """What the portal's route classes hold: the use cases and `build_router`'s page helpers
    (pick the supplier, render a page, turn an error into words). Each subclass has one method a
    route and a `register` that adds them to the router."""

    def __init__(
        self, use_cases: SupplierUseCases, choose: Choose, render: Render, errors: Errors
    ) -> None:
        self.use_cases = use_cases
        self.choose = choose
        self.render = render
        self.errors = errors


# What the portal's downloads are, for the browser.
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Spreadsheet programs read a CSV as UTF-8 when it starts with a byte order mark.
BOM = "\ufeff".encode()


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


async def period_or_current(
    use_cases: SupplierUseCases, viewer: Viewer, choice: SupplierChoice, text: str | None
) -> BillingPeriod:
    """The period asked for, else the one whose window is open now (or opens next)."""
    if text:
        return BillingPeriod.parse(text)
    now = use_cases.clock.now()
    rule = choice.supplier.window
    return (rule.window_at(now) or rule.next_window(now)).period


def window_rows(choice: SupplierChoice, windows: Sequence[OpenWindow]) -> list[tuple[str, ...]]:
    """Openings as the supplier's local days, the last one inclusive."""
    rule = choice.supplier.window
    return [
        (
            str(w.period),
            rule.local_today(w.opens_at).strftime("%d.%m.%Y"),
            rule.local_today(w.closes_at - timedelta(seconds=1)).strftime("%d.%m.%Y"),
        )
        for w in windows
    ]


def recent_periods(latest: BillingPeriod, count: int = 13) -> list[str]:
    return [str(latest.shift(-n)) for n in range(count)]
