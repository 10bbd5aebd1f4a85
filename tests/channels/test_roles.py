"""Every page route, with every role: anonymous, a resident, and staff of each role. A route
lets in exactly the roles its door's policy names; the others are sent to sign in (anonymous)
or refused (403), and a refused request changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute

from tests.channels.pages import ADMIN, DISTRICT, OPERATOR, RESIDENT, SUPPLIER, Site

ROLES = ("anonymous", "resident", "call_center", "district", "supplier", "admin")
LOGINS = {"call_center": OPERATOR, "district": DISTRICT, "supplier": SUPPLIER, "admin": ADMIN}
NOT_PAGES = (
    "/api/",
    "/webhooks/",
    "/health",
    "/ready",
    "/metrics",
    "/media/",
    "/static",
    "/openapi",
    "/docs",
    "/redoc",
)
# Routes anyone may open.
PUBLIC = {
    "/",
    "/sign-in",
    "/sign-up",
    "/sign-out",
    "/language",
    "/password/forgot",
    "/password/reset/{token}",
    "/auth/telegram",
    "/staff/sign-in",
    "/reminders/off/{token}",  # the signed link in a reminder e-mail is the whole proof
    "/receipts/verify",  # anyone holding a receipt checks it
    "/alerts/ok/{token}",  # the signed "that's right" link in a leak notice is the whole proof
}
# (path pattern, roles allowed), first match wins.
POLICY: list[tuple[str, set[str]]] = [
    (r"^/operator/(staff|suppliers|reminders)", {"admin"}),
    # supplier staff may look accounts up, not take readings
    (r"^/operator/accounts/[^/]+/(readings|corrections)", {"call_center", "district", "admin"}),
    (r"^/operator/photo-reads/", {"call_center", "district", "admin"}),  # a caller's photo
    (r"^/operator", {"call_center", "district", "supplier", "admin"}),
    (r"^/supplier", {"supplier", "admin"}),
    (r"^/", {"resident"}),
]


def allowed(path: str) -> set[str]:
    if path in PUBLIC:
        return set(ROLES)
    for pattern, roles in POLICY:
        if re.match(pattern, path):
            return roles
    raise AssertionError(path)


def _flatten(routes: list[Any], prefix: str = "") -> list[APIRoute | tuple[str, APIRoute]]:
    found: list[Any] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix, route))
        elif hasattr(route, "original_router"):  # FastAPI's included router
            context = getattr(route, "include_context", None)
            inner = getattr(context, "prefix", "") if context is not None else ""
            found += _flatten(route.original_router.routes, prefix + (inner or ""))
    return found


def page_routes(site: Site) -> list[tuple[str, str]]:
    app = site.client._transport.app  # type: ignore[attr-defined]
    found = []
    for prefix, route in _flatten(app.routes):
        path = prefix + route.path
        if path.startswith(NOT_PAGES):
            continue
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, path))
    return sorted(set(found))


def concrete(path: str) -> str:
    """Path parameters filled with values that exist in the demo data where it matters."""
    return re.sub(r"\{[^}]+\}", "1", path)


async def sign_in_as(site: Site, role: str) -> None:
    if role == "resident":
        await site.sign_in(RESIDENT)
    elif role != "anonymous":
        await site.sign_in_staff(LOGINS[role])


@pytest.mark.parametrize("role", ROLES)
async def test_every_page_route_admits_exactly_its_roles(site: Site, role: str) -> None:
    await sign_in_as(site, role)
    routes = page_routes(site)
    assert len(routes) > 10
    wrong = []
    for method, path in routes:
        if path in ("/sign-out",):
            continue
        url = concrete(path)
        if method == "GET":
            answer = await site.get(url)
        else:
            answer = await site.post(url, {})
        denied = answer.status_code == 403 or (
            answer.status_code in (303, 401)
            and "sign-in" in answer.headers.get("location", answer.headers.get("hx-redirect", ""))
            and path not in PUBLIC
        )
        expected_denied = role not in allowed(path)
        if denied != expected_denied:
            wrong.append(f"{method} {path}: {answer.status_code} for {role}")
        if expected_denied and role == "anonymous" and answer.status_code != 303:
            wrong.append(f"{method} {path}: anonymous got {answer.status_code}, not a redirect")
    assert wrong == []
