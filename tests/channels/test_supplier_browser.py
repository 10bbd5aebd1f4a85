"""The supplier portal in headless Chromium: a supplier signs in, uploads a registry, watches it
finish (HTMX polling) and downloads the period's export; screenshots of the main pages at phone
and desktop widths when KOMUNALKA_SCREENSHOTS=1."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Any

from komunalka.domain.registry import COLUMNS
from tests.channels.pages import PASSWORD, SCREENSHOTS, SUPPLIER

SIZES = {"phone": (390, 844), "desktop": (1280, 900)}


async def shoot(page: Any, name: str) -> None:
    if os.environ.get("KOMUNALKA_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(SCREENSHOTS / f"supplier-{name}-{size}.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})


def read_text(path: Path | str) -> str:
    return Path(path).read_text(encoding="utf-8-sig")


def registry() -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    base = {
        "supplier": "kte",
        "holder": "Браузерна Ганна Іванівна",
        "address": "Київ, вул. Тестова, 5, кв. 9",
        "district": "Печерський",
        "service": "hot_water",
        "registers": "T1",
        "digits": "5",
        "decimals": "3",
        "status": "active",
        "period": "2026-11",
    }
    writer.writerow({**base, "account": "1888888801", "serial": "HW88800001", "values": "42,125"})
    writer.writerow({**base, "account": "1888888802", "serial": "bad serial!", "values": "1"})
    writer.writerow({**base, "supplier": "kvk", "account": "28888888", "serial": "CW8880003"})
    return out.getvalue().encode()


async def test_a_supplier_uploads_a_registry_and_downloads_the_export(
    live: Any, page: Any, tmp_path: Path
) -> None:
    await page.goto(f"{live.url}/supplier")
    await page.get_by_label("Логін працівника").fill(SUPPLIER)
    await page.get_by_label("Пароль").fill(PASSWORD)
    await page.get_by_role("button", name="Увійти").click()
    await page.wait_for_url(f"{live.url}/supplier")
    assert await page.get_by_role("heading", level=1).inner_text() == "Огляд періоду"

    await page.goto(f"{live.url}/supplier?period=2026-10")
    assert "100,0" in await page.locator(".figures").inner_text()
    await page.get_by_role("table", name="Показники за каналами").wait_for()
    await shoot(page, "overview")

    await page.get_by_role("navigation").get_by_role("link", name="Реєстр").click()
    await page.get_by_label("Файл реєстру").set_input_files(
        {"name": "registry.csv", "mimeType": "text/csv", "buffer": registry()}
    )
    await page.get_by_role("button", name="Завантажити").click()
    await page.wait_for_url(re.compile(r"/supplier/registry/\d+"))
    status = page.locator("#upload-status")
    await status.get_by_text("Готово").wait_for(timeout=60_000)
    figures = await status.inner_text()
    assert "Прийнято\n1" in figures and "Відхилено\n2" in figures
    async with page.expect_download() as report_download:
        await page.get_by_role("link", name="Завантажити звіт про відхилені рядки (CSV)").click()
    report = read_text(await (await report_download.value).path())
    assert "registry.bad_serial" in report and "portal.other_supplier" in report
    await shoot(page, "registry-result")

    await page.get_by_role("navigation").get_by_role("link", name="Вивантаження").click()
    await page.get_by_label("Розрахунковий період").select_option("2026-11")
    await page.get_by_label("CSV").check()
    await shoot(page, "export")
    async with page.expect_download() as export_download:
        await page.get_by_role("button", name="Завантажити").click()
    download = await export_download.value
    assert download.suggested_filename == "kte-2026-11-readings.csv"
    saved = tmp_path / "export.csv"
    await download.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(read_text(saved))))
    assert [(r["serial"], r["value"], r["channel"]) for r in rows] == [
        ("HW88800001", "42.125", "registry")
    ]

    await page.get_by_role("navigation").get_by_role("link", name="Доступ API").click()
    await page.get_by_label("Назва токена").fill("Білінг")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Видати токен").click()
    assert (await page.locator("#new-token").inner_text()).startswith("kms_")
    await shoot(page, "tokens")
