"""A small aiohttp server on 127.0.0.1 at a free port, in the caller's event loop or a thread."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from aiohttp import web


class LocalServer:
    url: str = ""

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> str:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self.url

    async def stop(self) -> None:
        await self._runner.cleanup()

    def start_in_thread(self) -> str:
        """Serves from a thread of its own: for callers that run their own event loop."""
        ready = threading.Event()
        self._loop: Any = asyncio.new_event_loop()

        def serve() -> None:
            self._loop.run_until_complete(self.start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self.url

    def stop_thread(self) -> None:
        asyncio.run_coroutine_threadsafe(self.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
