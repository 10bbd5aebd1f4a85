"""Signed receipts in headless Chromium (Debian's, driven by Playwright) against the app on
127.0.0.1, with the pages' Content-Security-Policy enforced: a resident sends a reading and sees
its QR code (inline SVG) and short code, opens the printable receipt, and anyone checks it on the
public page; every one of these pages passes axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

from decimal import Decimal

from tests.channels.a11y import violations
from tests.channels.pages import PASSWORD, RESIDENT


async def test_a_receipts_qr_code_short_code_and_public_check_in_a_browser(live, page) -> None:
    await page.goto(f"{live.url}/sign-in")
    await page.get_by_label("Електронна пошта або телефон").fill(RESIDENT)
    await page.get_by_label("Пароль").fill(PASSWORD)
    await page.locator("form[action='/sign-in'] button[type=submit]").click()
    await page.wait_for_url(f"{live.url}/")

    await page.goto(f"{live.url}/readings")
    field = page.locator('input[name^="v."]').first
    name = (await field.get_attribute("name"))[2:]
    previous = await page.locator(f'input[name="prev.{name}"]').get_attribute("value")
    await field.fill(str(Decimal(previous) + 1).replace(".", ","))
    await page.get_by_role("button", name="Передати", exact=True).click()
    await page.get_by_role("heading", name="Підписані квитанції").wait_for()
    found = await violations(page)

    qr = page.locator("svg.qr").first
    box = await qr.bounding_box()
    assert box is not None and box["width"] >= 150  # big enough for a phone's camera
    number = (await page.locator(".qr-card .receipt-no").first.inner_text()).strip()
    await page.get_by_role("link", name=f"Квитанція {number} для друку").click()
    await page.get_by_role("heading", name=f"Квитанція {number}").wait_for()
    found += await violations(page)
    assert await page.locator(".qr-big svg.qr").count() == 1

    await page.get_by_role("link", name="Перевірити зараз").click()
    await page.get_by_role("heading", name="Квитанція справжня", exact=False).wait_for()
    found += await violations(page)

    await page.goto(f"{live.url}/receipts/verify")
    found += await violations(page)
    await page.get_by_label("Номер квитанції або підписаний код").fill(number.lower())
    await page.get_by_role("button", name="Перевірити").click()
    await page.get_by_role("heading", name="Квитанція справжня", exact=False).wait_for()
    assert number in await page.locator("main").inner_text()

    await page.get_by_label("Номер квитанції або підписаний код").fill("not a receipt")
    await page.get_by_role("button", name="Перевірити").click()
    alert = page.get_by_role("alert")
    await alert.wait_for()
    assert "Номер квитанції має вигляд" in await alert.inner_text()
    found += await violations(page)
    assert found == [], "\n".join(found)
