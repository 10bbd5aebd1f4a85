"""Support for the web doors' tests: the app with demo data behind an HTTP client that keeps
cookies and fills in the CSRF token, and the same app served on 127.0.0.1 for headless Chromium.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from komunalka.adapters.db.dialogs import SqlDialogStateStore
from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.meter_ocr import make_meter_reader
from komunalka.adapters.passwords import Argon2Passwords
from komunalka.adapters.spreadsheets import OpenpyxlSpreadsheets
from komunalka.application.system.load_demo import DEMO_LOGIN, DEMO_PASSWORD, DemoReport
from komunalka.bootstrap.app import create_app
from komunalka.bootstrap.container import Container, build
from komunalka.bootstrap.settings import Settings
from komunalka.bootstrap.wiring import Wiring
from komunalka.channels.pages.security import CSRF_COOKIE
from tests.fakes import FakeClock, kyiv

# Real argon2id, at the cost floor: the same code path, fast enough for tests.
PASSWORDS = Argon2Passwords(time_cost=1, memory_cost=1024)
TELEGRAM_TOKEN = "123456:test-bot-token"
NOW = kyiv(2026, 11, 20)
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"

OPERATOR = "operator@komunalka.test"
DISTRICT = "district@komunalka.test"
SUPPLIER = "supplier@komunalka.test"
ADMIN = "admin@komunalka.test"
RESIDENT = DEMO_LOGIN
PASSWORD = DEMO_PASSWORD


def settings_for(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "web_url": "https://test",
        "telegram_token": TELEGRAM_TOKEN,
        "telegram_webhook_secret": "s",
        "telegram_api_url": "http://127.0.0.1:9",
        **overrides,
    }
    return Settings(**values)


def wire(uow: SqlStorage, clock: FakeClock, settings: Settings) -> Wiring:
    return Wiring.wire(
        uow,
        clock,
        passwords=PASSWORDS,
        spreadsheets=OpenpyxlSpreadsheets(),
        dialogs=SqlDialogStateStore(uow.engine),
        meter_reader=make_meter_reader(),  # the ocr extra's, loaded at the first photo
    )


@dataclass
class Site:
    """A browser over HTTP: keeps cookies, puts the CSRF token into every form it posts."""

    client: httpx.AsyncClient
    use_cases: Wiring
    clock: FakeClock
    demo: DemoReport

    @property
    def csrf(self) -> str:
        return self.client.cookies.get(CSRF_COOKIE) or ""

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def post(
        self,
        path: str,
        data: Mapping[str, Any] | None = None,
        *,
        csrf: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        if not self.csrf:
            await self.client.get("/staff/sign-in")
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf)
        return await self.client.post(path, data=form, **kwargs)

    async def sign_in_staff(self, login: str, password: str = PASSWORD) -> httpx.Response:
        response = await self.post("/staff/sign-in", {"login": login, "password": password})
        assert response.status_code == 303, response.text
        return response

    async def sign_in(self, login: str = RESIDENT, password: str = PASSWORD) -> httpx.Response:
        """The resident cabinet's sign-in (``POST /sign-in``)."""
        response = await self.post("/sign-in", {"login": login, "password": password})
        assert response.status_code == 303, response.text
        return response

    async def sign_out(self) -> None:
        await self.post("/sign-out")


def text_of(html: str) -> str:
    """A page's visible words, roughly: tags out, whitespace folded."""
    without = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", without)).strip()


async def open_site(uow: SqlStorage, engine: Any, database_url: str) -> AsyncIterator[Site]:
    settings = settings_for(database_url)
    clock = FakeClock(NOW)
    use_cases = wire(uow, clock, settings)
    demo = await use_cases.load_demo()
    app = create_app(container=Container(settings, engine, use_cases))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
        yield Site(client, use_cases, clock, demo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The whole app under uvicorn on 127.0.0.1, in a thread with its own event loop and its own
    engine, with demo data and the clock frozen at NOW: what a browser talks to."""

    def __init__(self, database_url: str) -> None:
        self.settings = settings_for(
            database_url, now=NOW, web_url="http://127.0.0.1", cookie_secure=True
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None
        self._server: uvicorn.Server | None = None
        self.demo: DemoReport | None = None

    def _container(self) -> Container:
        container = build(self.settings)
        use_cases = wire(SqlStorage(container.engine), FakeClock(NOW), self.settings)
        return Container(self.settings, container.engine, use_cases)

    def start(self) -> None:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            container = self._container()
            self.demo = loop.run_until_complete(container.use_cases.load_demo())
            app = create_app(container=container)
            config = uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
            )
            self._server = uvicorn.Server(config)
            self._server.config.setup_event_loop = lambda: None  # type: ignore[method-assign]
            task = loop.create_task(self._server.serve())
            while not self._server.started and not task.done():
                loop.run_until_complete(asyncio.sleep(0.05))
            ready.set()
            loop.run_until_complete(task)
            loop.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        if not ready.wait(60):
            raise RuntimeError("the live server did not start")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(30)


# Reported by every page of a context: what the Content-Security-Policy blocked.
REPORT_CSP = """document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
});"""


async def watch_csp(context: Any) -> list[str]:
    """The Content-Security-Policy violations the pages of `context` will report (Chromium's
    console messages and `securitypolicyviolation` events), for a test to assert there are none."""
    violations: list[str] = []

    def heard(message: Any) -> None:
        if "Content Security Policy" in message.text or "CSP violation" in message.text:
            violations.append(message.text)

    context.on("console", heard)
    await context.add_init_script(REPORT_CSP)
    return violations
