"""The resident cabinet in headless Chromium (Debian's, driven by Playwright) against the app on
127.0.0.1: a resident signs up, links a demo account, sends all readings in one form (one of them
"unchanged" by its button), and sees the history and the chart. With KOMUNALKA_SCREENSHOTS=1 the
main pages are saved at phone and desktop widths into docs/screenshots/."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

from tests.channels.pages import SCREENSHOTS

SIZES = {"phone": (390, 844), "desktop": (1280, 900)}


async def shoot(page: Any, name: str) -> None:
    if os.environ.get("KOMUNALKA_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for suffix, (width, height) in SIZES.items():
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(SCREENSHOTS / f"web-{name}-{suffix}.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def link(page: Any, live: Any, flat: int, supplier: str) -> None:
    meter = next(m for m in live.demo.meters if m.flat == flat and m.supplier == supplier)
    await page.goto(f"{live.url}/link")
    await page.get_by_label("Номер особового рахунку").fill(meter.account)
    await page.get_by_label("Підтвердження").fill(meter.holder[:3])
    await page.get_by_role("button", name="Перевірити").click()
    await page.get_by_role("heading", name="Це ваш рахунок?").wait_for()
    assert meter.address in await page.locator("main").inner_text()
    await page.get_by_role("button", name="Так, додати").click()
    await page.wait_for_url(f"{live.url}/?done=linked")


async def test_a_resident_signs_up_links_sends_all_readings_and_sees_history(live, page) -> None:
    await page.goto(f"{live.url}/")
    await shoot(page, "landing")
    await page.locator("main").get_by_role("link", name="Реєстрація").click()
    await page.get_by_label("Ваше ім'я").fill("Олена Ткаченко")
    await page.get_by_label("Електронна пошта або телефон").fill("olena@example.com")
    await page.get_by_label("Пароль", exact=True).fill("very-secret-1")
    await page.get_by_label("Пароль ще раз").fill("very-secret-1")
    await page.get_by_role("button", name="Зареєструватися").click()
    await page.wait_for_url(f"{live.url}/")
    await page.get_by_role("heading", name="Додайте свій перший рахунок").wait_for()

    await link(page, live, 4, "kte")
    await link(page, live, 4, "kvk")
    main = page.locator("main")
    assert "Чекають на показники: 4." in await main.inner_text()
    await shoot(page, "dashboard")

    await main.get_by_role("link", name="Передати показники").click()
    await page.wait_for_url(f"{live.url}/readings")
    inputs = page.locator('input[name^="v."]')
    assert await inputs.count() == 4
    previous = [
        await page.locator(
            f'input[name="prev.{(await inputs.nth(i).get_attribute("name"))[2:]}"]'
        ).get_attribute("value")
        for i in range(4)
    ]
    await page.get_by_role("button", name="Без змін").first.click()
    assert await inputs.nth(0).input_value() == previous[0].replace(".", ",")
    for i in range(1, 4):
        await inputs.nth(i).fill(str(Decimal(previous[i]) + 1).replace(".", ","))
    await shoot(page, "readings")
    await page.get_by_role("button", name="Передати", exact=True).click()
    await page.get_by_role("heading", name="Показники прийнято").wait_for()
    rows = page.locator("table").first.locator("tbody tr")  # the receipts, then the estimate
    assert await rows.count() == 4
    estimate = page.locator("section.estimate")
    assert "Орієнтовно, за демонстраційним тарифом" in await estimate.inner_text()
    await shoot(page, "receipts")

    await page.get_by_role("link", name="До моїх лічильників").click()
    await page.wait_for_url(f"{live.url}/")
    assert await page.locator(".status.sent").count() == 4
    await main.get_by_role("link", name="Гаряча вода").first.click()
    await page.get_by_role("heading", name="Історія показників").wait_for()
    history = page.locator("#history-table + .table-wrap tbody tr")
    assert await history.count() == 13  # this month's and a year before it
    chart = page.locator("img.chart")
    await chart.wait_for()
    # a function, not an expression: Playwright evaluates an expression with eval, which the
    # page's Content-Security-Policy refuses
    await page.wait_for_function("() => document.querySelector('img.chart').complete")
    assert await chart.evaluate("img => img.naturalWidth") > 0
    await shoot(page, "history")

    await page.get_by_role("link", name="Профіль").click()
    await page.get_by_role("heading", name="Профіль", exact=True).wait_for()
    await shoot(page, "profile")


async def test_sign_in_page_and_a_wrong_password_in_a_real_browser(live, page) -> None:
    await page.goto(f"{live.url}/sign-in")
    await shoot(page, "sign-in")
    await page.get_by_label("Електронна пошта або телефон").fill("demo@komunalka.test")
    await page.get_by_label("Пароль").fill("not the password")
    await page.get_by_role("button", name="Увійти").click()
    await page.get_by_role("alert").wait_for()
    assert "Неправильний логін або пароль." in await page.get_by_role("alert").inner_text()
    await page.get_by_label("Пароль").fill("komunalka-demo")
    await page.get_by_role("button", name="Увійти").click()
    await page.wait_for_url(f"{live.url}/")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies["komunalka_session"]["httpOnly"]
    assert cookies["komunalka_session"]["secure"]
    assert await page.get_by_role("link", name="Мої лічильники").get_attribute("aria-current")
