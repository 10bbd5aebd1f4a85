"""Every page of the resident cabinet at a 360 px phone and at desktop width in headless Chromium:
nothing scrolls sideways (the page, or a table inside its box), nothing sticks out of the screen
or is clipped by its box, and axe-core's WCAG 2.1 A/AA rules still pass. The pages are reached
the way a resident reaches them: signed out, signed in, after sending readings (the receipts),
after a check of an account (its confirmation), and with the answers a form gives back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.channels.a11y import violations
from tests.channels.pages import OPERATOR, PASSWORD, RESIDENT, SUPPLIER, watch_csp

WIDTHS = {"phone": (360, 740), "desktop": (1280, 900)}

# What sticks out: the page wider than the screen, an element past the screen's edge (unless it
# is wholly off screen on purpose, like the skip link), or a box whose content is wider than it
# (a table scrolling inside its box, a clipped word). Elements of a pixel or less are the
# visually hidden ones, for screen readers.
OVERFLOW = """() => {
  const found = [];
  const doc = document.scrollingElement;
  if (doc.scrollWidth > doc.clientWidth) {
    found.push(`the page is ${doc.scrollWidth} px wide on a ${doc.clientWidth} px screen`);
  }
  const edge = document.documentElement.clientWidth;
  const name = (el) => {
    const text = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `<${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}> "${text}"`;
  };
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || box.right <= 0) continue;
    if (box.right > edge + 1 || box.left < -1) {
      found.push(`${name(el)} sticks out: ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
    const style = getComputedStyle(el);
    if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)
        && el.scrollWidth > el.clientWidth + 1) {
      found.push(`${name(el)} scrolls sideways: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  return [...new Set(found)].slice(0, 8);
}"""


# Receipt numbers are random, and a random one of wide letters is wider than most: every receipt
# shown is replaced by the widest one there can be before the page is measured, so the check does
# not depend on the draw (a receipt of W and M once overflowed a phone's history table in CI).
WIDEST_RECEIPTS = """() => {
  for (const el of document.querySelectorAll('.receipt-no, .receipt')) {
    el.textContent = el.textContent.replace(/[0-9A-Z]{4}-[0-9A-Z]{4}(?![0-9A-Z])/g, 'WWWW-WWWW');
  }
}"""


async def check(page: Any, label: str) -> list[str]:
    # a function, not an expression: Playwright evaluates an expression with eval, which the
    # page's Content-Security-Policy refuses
    await page.wait_for_function("() => document.readyState === 'complete'")
    await page.evaluate(WIDEST_RECEIPTS)
    found = [f"{label}: {line}" for line in await page.evaluate(OVERFLOW)]
    return found + [f"{label}: {line}" for line in await violations(page)]


async def visit(page: Any, url: str, path: str) -> list[str]:
    answer = await page.goto(f"{url}{path}")
    assert answer.status in (200, 404), f"{path}: {answer.status}"
    return await check(page, path)


async def signed_out_pages(page: Any, url: str) -> list[str]:
    found = []
    for path in (
        "/",
        "/sign-in",
        "/sign-up",
        "/password/forgot",
        "/password/reset/" + "a-long-reset-token-from-the-e-mail-" * 2,
        "/reminders/off/" + "a-long-signed-token-from-a-reminder-e-mail-" * 2,
        "/receipts/verify",
        "/no-such-page",
    ):
        found += await visit(page, url, path)
    refused = await page.goto(f"{url}/receipts/verify?code={'not-a-receipt-' * 12}")
    assert refused.status == 400
    found += await check(page, "/receipts/verify (not a receipt)")
    await page.goto(f"{url}/sign-in")
    await page.locator("input[name=login]").fill(RESIDENT)
    await page.locator("input[name=password]").fill("not the password")
    await page.locator("form[action='/sign-in'] button[type=submit]").click()
    await page.get_by_role("alert").wait_for()
    found += await check(page, "/sign-in (a wrong password)")
    await page.goto(f"{url}/sign-up")
    await page.locator("form[action='/sign-up'] button[type=submit]").click()
    await page.wait_for_url(f"{url}/sign-up")
    found += await check(page, "/sign-up (empty)")
    return found


async def sign_in(page: Any, url: str) -> None:
    await page.goto(f"{url}/sign-in")
    await page.locator("input[name=login]").fill(RESIDENT)
    await page.locator("input[name=password]").fill(PASSWORD)
    async with page.expect_navigation():
        await page.locator("form[action='/sign-in'] button[type=submit]").click()


async def receipts(page: Any, url: str) -> list[str]:
    """The readings form, with a refusal, then every meter sent unchanged: the receipts."""
    found = await visit(page, url, "/readings")
    first = page.locator('input[name^="v."]').first
    await first.fill("12345678,9")
    await page.get_by_role("button", name="Передати", exact=True).click()
    await page.locator(".has-error, .errors, [role=alert]").first.wait_for()
    found += await check(page, "/readings (a refusal)")
    await page.goto(f"{url}/readings")
    unchanged = page.get_by_role("button", name="Без змін")
    for i in range(await unchanged.count()):
        await unchanged.nth(i).click()
    await page.get_by_role("button", name="Передати", exact=True).click()
    await page.get_by_role("heading", name="Показники прийнято").wait_for()
    found += await check(page, "/readings (the receipts)")
    for receipt in await page.locator("td strong, .receipt").all():
        text = (await receipt.inner_text()).strip()
        assert text and await receipt.is_visible(), "a receipt number is not shown"
    await page.locator(".qr-card a").first.click()
    await page.locator(".qr-big svg.qr").wait_for()
    found += await check(page, "/receipts/… (printable)")
    await page.get_by_role("link", name="Перевірити зараз").click()
    await page.locator(".verdict").wait_for()
    found += await check(page, "/receipts/verify?t=… (genuine)")
    return found


async def signed_in_pages(page: Any, url: str) -> list[str]:
    await sign_in(page, url)
    found = await visit(page, url, "/")
    meters = [
        str(await a.get_attribute("href"))
        for a in await page.locator("main a[href^='/meters/']").all()
    ]
    assert meters, "the demo resident has no meters"
    for path in ("/link", "/profile", *dict.fromkeys(meters)):
        found += await visit(page, url, path)
    found += await receipts(page, url)
    for path in dict.fromkeys(meters):  # the history with this month's reading
        found += await visit(page, url, path)
    await page.goto(f"{url}/link")
    await page.get_by_label("Номер особового рахунку").fill("000000000000")
    await page.get_by_label("Підтвердження").fill("Ххх")
    await page.get_by_role("button", name="Перевірити").click()
    await page.locator(".errors, [role=alert]").first.wait_for()
    found += await check(page, "/link (not matched)")
    await page.goto(f"{url}/profile")
    await page.locator("form[action$='/unlink'] button[type=submit]").first.click()
    await page.locator("input[name=confirmed]").wait_for(state="attached")
    found += await check(page, "/accounts/…/unlink (the question)")
    return found


@pytest.mark.parametrize("width", WIDTHS)
async def test_no_page_of_the_cabinet_scrolls_sideways(live, chromium, width: str) -> None:
    w, h = WIDTHS[width]
    context = await chromium.new_context(viewport={"width": w, "height": h}, locale="uk-UA")
    blocked = await watch_csp(context)
    page = await context.new_page()
    try:
        found = await signed_out_pages(page, live.url)
        found += await signed_in_pages(page, live.url)
    finally:
        await context.close()
    assert found + blocked == [], "\n".join(found + blocked)


async def staff_pages(page: Any, url: str, login: str, paths: list[str]) -> list[str]:
    await page.goto(f"{url}/staff/sign-in")
    await page.locator("input[name=login]").fill(login)
    await page.locator("input[name=password]").fill(PASSWORD)
    async with page.expect_navigation():
        await page.locator("form[action='/staff/sign-in'] button[type=submit]").click()
    found = []
    for path in paths:
        if path.startswith("first:"):  # the first link on a page to a prefix
            where, prefix = path.removeprefix("first:").split(" ")
            await page.goto(f"{url}{where}")
            path = str(await page.locator(f"a[href^='{prefix}']").first.get_attribute("href"))
        found += await visit(page, url, path)
    return found


async def test_the_operator_console_does_not_scroll_sideways_on_a_phone(live, chromium) -> None:
    w, h = WIDTHS["phone"]
    context = await chromium.new_context(viewport={"width": w, "height": h}, locale="uk-UA")
    blocked = await watch_csp(context)
    page = await context.new_page()
    search = "/operator?kind=surname&q=%D0%A8%D0%B5%D0%B2"  # Шев
    try:
        found = await staff_pages(
            page, live.url, OPERATOR, ["/operator", search, f"first:{search} /operator/accounts/"]
        )
        card = page.url.removeprefix(live.url)
        found += await visit(page, live.url, f"{card}/readings")
    finally:
        await context.close()
    assert found + blocked == [], "\n".join(found + blocked)


SUPPLIER_PAGES = [
    "/supplier?period=2026-10",
    "/supplier/registry",
    "/supplier/export",
    "/supplier/window",
    "/supplier/tariffs",
    "/supplier/tokens",
    "/supplier/reminders",
    "/supplier/non-submitters?period=2026-11",
]


async def test_the_supplier_portal_does_not_scroll_sideways_on_a_phone(live, chromium) -> None:
    w, h = WIDTHS["phone"]
    context = await chromium.new_context(viewport={"width": w, "height": h}, locale="uk-UA")
    blocked = await watch_csp(context)
    page = await context.new_page()
    try:
        found = await staff_pages(page, live.url, SUPPLIER, SUPPLIER_PAGES)
    finally:
        await context.close()
    assert found + blocked == [], "\n".join(found + blocked)
