"""uvicorn's HTTP/1.1 protocol with the bounds it lacks: a request's head (request line and
headers) must be at most `max_head` bytes and must arrive within `head_timeout` seconds of the
connection opening or of the previous response ending. uvicorn's httptools protocol accepts
headers of any size (llhttp sets no limit; `h11_max_incomplete_event_size` applies to h11 only)
and waits for them forever, so a few hundred connections trickling their headers hold every file
descriptor the process may open. The keep-alive timeout (idle between requests) is uvicorn's own.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from komunalka.bootstrap.settings import Settings

TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` with a bounded, timed request head; `bounded_protocol` sets the
    bounds."""

    max_head = 16 * 1024
    head_timeout = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # The raw bytes of a head still incomplete are counted too: httptools keeps a header
        # it has not seen the end of, so a trickled endless header would otherwise grow.
        if self._reading_head:
            self._raw_head += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError:
            if self._head_too_large:
                self._refuse_head()
            else:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
            return
        if self._reading_head and self._raw_head > self.max_head:
            self._refuse_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._head_too_large = False

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._stop_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.pipeline and not self.transport.is_closing():
            self._await_head()

    def _await_head(self) -> None:
        self._reading_head = True
        self._head_bytes = 0
        self._raw_head = 0
        self._head_too_large = False
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.max_head:
            self._head_too_large = True
            raise ValueError("request head too large")  # ends feed_data; see data_received

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        in_flight = self.cycle is not None and not self.cycle.response_complete
        if self._reading_head and not in_flight and not self.transport.is_closing():
            self.transport.close()

    def _refuse_head(self) -> None:
        self._reading_head = False
        self._stop_head_timer()
        if not self.transport.is_closing():
            self.transport.write(TOO_LARGE)
            self.transport.close()


def bounded_protocol(max_head: int, head_timeout: float) -> type[BoundedHttpToolsProtocol]:
    """The protocol class with these bounds (uvicorn takes a class, not an instance)."""
    bounds = {"max_head": max_head, "head_timeout": head_timeout}
    return type("BoundedHttpToolsProtocol", (BoundedHttpToolsProtocol,), bounds)


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.run's options for the bounds in `settings` (KOMUNALKA_HEADER_LIMIT, ...)."""
    return {
        "http": bounded_protocol(settings.header_limit, settings.header_timeout),
        # the same bound if the h11 protocol is ever chosen instead
        "h11_max_incomplete_event_size": settings.header_limit,
        "timeout_keep_alive": settings.keep_alive_timeout,
    }
