"""What the portal's route modules share: who may come in, and the page helpers
`build_router` hands them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.suppliers.supplier_access import SupplierChoice
from komunalka.channels.pages.security import require_staff
from komunalka.domain.errors import DomainError
from komunalka.domain.staff import StaffMember, StaffRole

staff_only = require_staff(StaffRole.SUPPLIER, StaffRole.ADMINISTRATOR)
SignedIn = Annotated[Viewer, Depends(staff_only)]


def member(viewer: Viewer) -> StaffMember:
    assert viewer.staff is not None  # staff_only let only staff in
    return viewer.staff


Choose = Callable[[Viewer, str | None], Awaitable[SupplierChoice]]
Render = Callable[..., HTMLResponse]
Errors = Callable[[Request, Viewer, DomainError], list[str]]


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
