"""The outbound side of reminders: one notice to one person on one channel, and what came of it.

A reminder use case words each notice in the resident's language, hands a batch to the channel's
`NoticeSender` and records one `SendResult` per notice. The senders are adapters (Telegram, Viber,
SMTP, an SMS gateway); they share a `SendThrottle` so that every process sending on one bot token
stays under the messenger's limit and honours its "retry after" together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Protocol, Self


@dataclass(frozen=True, slots=True)
class Notice:
    """One message to one person on one channel, already worded in their language."""

    channel: str  # "telegram" | "viber" | "email" | "sms"
    address: str  # Telegram chat id, Viber user id, e-mail address, phone number
    text: str
    subject: str = ""  # e-mail subject
    button: str = ""  # the button's label (messengers) ...
    # ... and what pressing it sends back to the bot (Telegram callback_data / Viber ActionBody)
    action: str = ""
    link: str = ""  # e-mail and SMS: the address that opens the sending round (put in the body)
    unsubscribe_url: str = ""  # e-mail: List-Unsubscribe target (one click, RFC 8058)


class Outcome(StrEnum):
    """What the caller does next with a notice.

    SENT: delivered. RETRY: a transient fault (5xx, network error, timeout, rate limit that did
    not clear): try again later with backoff; after a timeout the notice may have arrived all
    the same (no messenger has an idempotency key), so the caller counts such retries.
    UNREACHABLE: the person blocked the bot or unsubscribed, or the mailbox bounced for good:
    mark that identity unreachable and stop. DROPPED: the address does not exist. FAILED:
    anything else permanent (a bad request, a refused token).
    """

    SENT = "sent"
    RETRY = "retry"
    UNREACHABLE = "unreachable"
    DROPPED = "dropped"
    FAILED = "failed"


# The state a notice's row ends in, for each outcome but RETRY (reminders and alerts alike).
FINAL_STATES: Mapping[Outcome, str] = {
    outcome: outcome.value
    for outcome in (Outcome.SENT, Outcome.UNREACHABLE, Outcome.DROPPED, Outcome.FAILED)
}


class RoundTally:
    """A sending round's counts by outcome: a frozen dataclass of int fields subclasses it.

    False when the round did nothing (the worker logs only rounds that did something)."""

    __slots__ = ()

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> Self:
        """The round from a tally keyed by field name; other keys (say "lost") are left out."""
        return cls(**{f.name: counts.get(f.name, 0) for f in fields(cls)})  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return ", ".join(f"{f.name} {getattr(self, f.name)}" for f in fields(self))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    detail: str = ""  # the remote's description, for the record
    retry_after: float | None = None
    billing_status: int | None = None  # Viber's, kept: charged messages cost money


class NoticeSender(Protocol):
    """Sends notices of one channel."""

    async def send(self, notices: Sequence[Notice]) -> list[SendResult]:
        """One result per notice, in order; answers of the remote never raise."""
        ...


class SendThrottle(Protocol):
    """Message rate limits shared by every sender on a key.

    Keys name what a limit applies to: ``telegram:<sha256 of the token, 12 hex>`` (the bot, about
    25/s), ``telegram-chat:<chat id>`` (1/s), ``viber:<...>`` (500 calls per 10 s). A key without a
    configured limit is only subject to pauses.
    """

    async def acquire(self, key: str) -> None:
        """Waits until one more message on `key` fits its limit (and any pause is over).

        The message counts from now until one window after its `release`."""
        ...

    async def release(self, key: str) -> None:
        """The message let through on `key` was answered (or failed): call once per acquire.

        Counting until the answer keeps the limit at the remote's end, whatever the latency."""
        ...

    async def pause(self, key: str, seconds: float) -> None:
        """Every process sending on `key` stops for `seconds` (a 429's retry_after)."""
        ...


def token_key(channel: str, token: str) -> str:
    """The throttle key of a bot token: the channel and a short digest, never the token."""
    return f"{channel}:{hashlib.sha256(token.encode()).hexdigest()[:12]}"
