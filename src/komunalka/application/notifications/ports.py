"""The ports of notifications: the senders that deliver what the outbox holds. The outbox itself
and its messages are written by other features too, so they live in application/shared/ports.py."""

from __future__ import annotations

from typing import Protocol

from komunalka.application.shared.ports import OutgoingMessage


class MessageSender(Protocol):
    """Delivers one message (an e-mail, an SMS); raises when it could not."""

    async def send(self, message: OutgoingMessage) -> None: ...
