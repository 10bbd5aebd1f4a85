"""The outbound channels of reminders: a notice to one person, what became of it, and the
throttle every sender honours. (Placeholder of the port; the senders' branch owns this file.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Notice:
    """One message to one person on one channel, already worded in their language."""

    channel: str
    address: str
    text: str
    subject: str = ""
    button: str = ""
    action: str = ""
    link: str = ""
    unsubscribe_url: str = ""


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    UNREACHABLE = "unreachable"
    DROPPED = "dropped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    detail: str = ""
    retry_after: float | None = None
    billing_status: int | None = None


class NoticeSender(Protocol):
    async def send(self, notices: Sequence[Notice]) -> list[SendResult]:
        """One result per notice, in order; answers of the remote never raise."""
        ...
