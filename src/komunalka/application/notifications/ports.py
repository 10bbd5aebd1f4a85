"""The ports of notifications: the outbox other transactions write to, and the senders that
deliver what it holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    channel: str
    recipient: str
    subject: str
    body: str


class Outbox(Protocol):
    """Messages to people, sent after the transaction that wrote them commits."""

    async def add(self, message: OutgoingMessage, at: datetime) -> None: ...
    async def unsent(self, limit: int) -> list[tuple[int, OutgoingMessage]]: ...
    async def mark_sent(self, message_id: int, at: datetime) -> None: ...


class MessageSender(Protocol):
    """Delivers one message (an e-mail, an SMS); raises when it could not."""

    async def send(self, message: OutgoingMessage) -> None: ...
