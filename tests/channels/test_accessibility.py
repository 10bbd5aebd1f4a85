"""The main pages of every web door pass axe-core's WCAG 2.1 A/AA rules (serious and critical
findings) in headless Chromium, at phone and at desktop width, in Ukrainian and in English."""

from __future__ import annotations

from typing import Any

import pytest

from tests.channels.a11y import violations
from tests.channels.pages import ADMIN, OPERATOR, PASSWORD, RESIDENT, SUPPLIER, watch_csp

WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}


async def sign_in(page: Any, url: str, path: str, login: str) -> None:
    await page.goto(f"{url}{path}")
    await page.locator("input[name=login]").fill(login)
    await page.locator("input[name=password]").fill(PASSWORD)
    async with page.expect_navigation():
        await page.locator(f"form[action='{path}'] button[type=submit]").click()


async def audit(page: Any, url: str, paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        answer = await page.goto(f"{url}{path}")
        assert answer.status == 200, f"{path}: {answer.status}"
        found += [f"{path}: {v}" for v in await violations(page)]
    return found


async def first_link(page: Any, url: str, path: str, prefix: str) -> str:
    await page.goto(f"{url}{path}")
    href = await page.locator(f"a[href^='{prefix}']").first.get_attribute("href")
    assert href, f"no link to {prefix} on {path}"
    return str(href)


@pytest.mark.parametrize("width", WIDTHS)
async def test_every_doors_main_pages_pass_axe(live, chromium, width: str) -> None:
    w, h = WIDTHS[width]
    locale = "uk-UA" if width == "phone" else "en-GB"
    found: list[str] = []
    for login, area in (
        (None, None),
        (RESIDENT, "/sign-in"),
        (OPERATOR, "/staff/sign-in"),
        (ADMIN, "/staff/sign-in"),
        (SUPPLIER, "/staff/sign-in"),
    ):
        context = await chromium.new_context(viewport={"width": w, "height": h}, locale=locale)
        blocked = await watch_csp(context)  # the pages pass with their CSP enforced, too
        page = await context.new_page()
        try:
            if login is None:
                paths = ["/", "/sign-in", "/sign-up", "/password/forgot", "/staff/sign-in"]
                paths.append("/receipts/verify")
            else:
                await sign_in(page, live.url, area, login)
            if login == RESIDENT:
                meter = await first_link(page, live.url, "/", "/meters/")
                paths = ["/", "/readings", "/link", "/profile", "/care/accept", meter]
            elif login == OPERATOR:
                search = "/operator?kind=surname&q=%D0%A8%D0%B5%D0%B2"  # Шев
                card = await first_link(page, live.url, search, "/operator/accounts/")
                paths = ["/operator", search, card, f"{card}/readings"]
            elif login == ADMIN:
                paths = [
                    "/operator/staff",
                    "/operator/staff/new",
                    "/operator/suppliers",
                    "/operator/reminders",
                    "/operator/reminders/kte",
                ]
            elif login == SUPPLIER:
                paths = [
                    "/supplier?period=2026-10",
                    "/supplier/registry",
                    "/supplier/export",
                    "/supplier/window",
                    "/supplier/tariffs",
                    "/supplier/tokens",
                    "/supplier/reminders",
                    "/supplier/non-submitters?period=2026-11",
                    "/supplier/deliveries",
                ]
            found += await audit(page, live.url, paths)
            found += blocked
        finally:
            await context.close()
    assert found == [], "\n".join(found)
