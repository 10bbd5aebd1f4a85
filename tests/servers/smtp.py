"""A real SMTP server on 127.0.0.1 (aiosmtpd, in a thread) that keeps what it receives.

`refuse` maps a recipient to the reply its RCPT gets instead of 250 (``"550 5.1.1 no such
user"`` for a hard bounce, ``"451 4.3.0 try later"`` for a soft one, ``"421 4.7.0 try again
later"`` for a relay that takes no more for now)."""

from __future__ import annotations

import time
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.channels.pages import free_port


class _Keeper:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.arrivals: list[float] = []  # time.monotonic() of each message taken
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        self.arrivals.append(time.monotonic())
        return "250 OK"


class LocalSmtp:
    def __init__(self) -> None:
        self.port = free_port()
        self._keeper = _Keeper()
        self._controller = Controller(self._keeper, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def refuse(self) -> dict[str, str]:
        return self._keeper.refuse

    @property
    def messages(self) -> list[Message]:
        return self._keeper.messages

    @property
    def arrivals(self) -> list[float]:
        return self._keeper.arrivals

    def __enter__(self) -> LocalSmtp:
        self._controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._controller.stop()
