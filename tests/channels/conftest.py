"""Fixtures of the web doors' tests: `site` (HTTP into the app) and `browser` with `live`
(headless Chromium against the app served on 127.0.0.1)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.channels.pages import CHROMIUM, LiveServer, Site, open_site, watch_csp

HAVE_CHROMIUM = Path(CHROMIUM).exists()


@pytest.fixture
async def site(uow, engine, database_url) -> AsyncIterator[Site]:
    async for opened in open_site(uow, engine, database_url):
        yield opened


@pytest.fixture
def live(engine, database_url) -> Any:
    server = LiveServer(database_url)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    """Debian's Chromium driven by Playwright; never a downloaded browser."""
    if not HAVE_CHROMIUM:
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (CI installs it)")
    from playwright.async_api import async_playwright

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        await browser.close()


@pytest.fixture
async def page(chromium) -> AsyncIterator[Any]:
    """A fresh browser context (no cookies) at phone-friendly defaults off: desktop width."""
    context = await chromium.new_context(viewport={"width": 1280, "height": 900}, locale="uk-UA")
    violations = await watch_csp(context)
    page = await context.new_page()
    yield page
    await context.close()
    assert violations == [], "the Content-Security-Policy was violated"
