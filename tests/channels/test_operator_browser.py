"""The operator console in headless Chromium (Debian's, driven by Playwright) against the app
served on 127.0.0.1: an operator signs in, finds a demo account, sends a reading for a caller and
reads the receipt back. With KOMUNALKA_SCREENSHOTS=1 the console's main pages are saved at phone
and desktop widths into docs/screenshots/."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from typing import Any

from tests.channels.pages import ADMIN, OPERATOR, PASSWORD, SCREENSHOTS

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


async def shoot(page: Any, name: str) -> None:
    """Both widths of the page as it stands, when screenshots are asked for."""
    if os.environ.get("KOMUNALKA_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(size)
        await page.screenshot(
            path=str(SCREENSHOTS / f"operator-{name}-{label}.png"), full_page=True
        )
    await page.set_viewport_size(DESKTOP)


async def sign_in(page: Any, url: str, login: str) -> None:
    await page.goto(f"{url}/staff/sign-in")
    await page.get_by_label("Логін працівника").fill(login)
    await page.get_by_label("Пароль").fill(PASSWORD)
    await page.get_by_role("button", name="Увійти").click()
    await page.wait_for_url(f"{url}/operator")


async def test_an_operator_sends_a_reading_for_a_caller(live, page) -> None:
    meter = next(
        m for m in live.demo.meters if m.supplier == "kte" and m.registers == ("T1",) and not m.note
    )
    await sign_in(page, live.url, OPERATOR)
    assert await page.get_by_role("heading", level=1).inner_text() == "Пошук рахунку"

    await page.get_by_label("Шукати за").select_option("surname")
    await page.get_by_label("Запит").fill(meter.holder.split()[0].lower())
    async with page.expect_navigation():
        await page.get_by_role("button", name="Знайти").click()
    await page.get_by_role("link", name=meter.account).wait_for()
    await shoot(page, "search")

    await page.get_by_role("link", name=meter.account).click()
    await page.wait_for_url(re.compile(r"/operator/accounts/\d+$"))
    assert meter.serial in await page.content()
    await shoot(page, "account")

    await page.get_by_role("link", name="Прийняти показники").click()
    await page.wait_for_url(re.compile(r"/readings$"))
    value = meter.values["T1"][-1] + Decimal(1)
    fieldset = page.get_by_role("group", name=re.compile(meter.serial))
    await fieldset.get_by_label("Новий показник").fill(str(value).replace(".", ","))
    await page.get_by_label("Як ідентифіковано абонента").select_option("account_number_and_name")
    await page.get_by_label("Примітка").fill("Телефонувала власниця, назвала номер і ПІБ")
    await shoot(page, "readings")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Надіслати показники").click()

    assert await page.get_by_role("heading", level=1).inner_text() == "Показники прийнято"
    status = await page.get_by_role("status").inner_text()
    assert "Прийнято показників: 1" in status
    receipt = await page.locator("code.receipt").first.inner_text()
    assert re.fullmatch(r"\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", receipt)
    await shoot(page, "receipts")

    await page.get_by_role("link", name="До рахунку").first.click()
    await page.wait_for_url(re.compile(r"/operator/accounts/\d+$"))
    card = await page.content()
    sent = await page.locator('li[data-action="readings.submit"]').first.inner_text()
    assert "надіслано телефоном оператором" in sent and "від імені" in sent
    assert receipt in card and "особу того, хто звернувся, встановлено телефоном" in card
    await shoot(page, "account")  # again, with the trail of what was just sent


async def test_the_staff_list_for_an_administrator(live, page) -> None:
    await sign_in(page, live.url, ADMIN)
    await page.get_by_role("link", name="Працівники").click()
    await page.wait_for_url(f"{live.url}/operator/staff")
    assert await page.get_by_role("heading", level=1).inner_text() == "Працівники"
    assert OPERATOR in await page.content()
    await shoot(page, "staff")
    await page.get_by_role("link", name="Постачальники").click()
    await page.wait_for_url(f"{live.url}/operator/suppliers")
    assert "Київтеплоенерго" in await page.content()
    await shoot(page, "suppliers")
