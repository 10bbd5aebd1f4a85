"""The shared pages in headless Chromium (Debian's, driven by Playwright) against the app served
on 127.0.0.1: cookies marked Secure work there, forms carry their CSRF token, and the language
switch sticks."""

from __future__ import annotations

from tests.channels.a11y import violations
from tests.channels.pages import OPERATOR, PASSWORD, watch_csp


async def test_staff_sign_in_in_a_real_browser(live, page) -> None:
    await page.goto(f"{live.url}/staff/sign-in")
    await page.get_by_label("Логін працівника").fill(OPERATOR)
    await page.get_by_label("Пароль").fill("not the password")
    await page.get_by_role("button", name="Увійти").click()
    await page.get_by_role("alert").wait_for()
    assert "Неправильний логін або пароль." in await page.get_by_role("alert").inner_text()

    async with page.expect_navigation():
        await page.get_by_label("Мова").select_option("en")
    assert await page.get_by_role("heading", level=1).inner_text() == "Staff sign-in"

    await page.get_by_label("Staff login").fill(OPERATOR)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{live.url}/operator")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies["komunalka_session"]["httpOnly"]
    assert cookies["komunalka_session"]["secure"]


async def test_the_staff_sign_in_page_passes_axe_on_a_phone(live, chromium) -> None:
    context = await chromium.new_context(viewport={"width": 390, "height": 844}, locale="uk-UA")
    blocked = await watch_csp(context)
    page = await context.new_page()
    try:
        await page.goto(f"{live.url}/staff/sign-in")
        assert await violations(page) == []
        # an error state too: the alert and the kept value
        await page.get_by_label("Логін працівника").fill("nobody")
        await page.get_by_label("Пароль").fill("wrong")
        await page.get_by_role("button", name="Увійти").click()
        await page.get_by_role("alert").wait_for()
        assert await violations(page) == []
        assert blocked == []
    finally:
        await context.close()
