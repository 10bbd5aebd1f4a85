"""Telegram updates → conversation events; replies → Bot API calls with inline keyboards.

Each update is acted on once (the conversation records its update_id as under way first, and
as done once the replies are handed over; ADR 0015). Through the
webhook, the last reply goes back as the webhook's answer (Telegram makes that one Bot API call
itself), so a turn with one text reply makes no outbound call; pictures and earlier replies go
out through the Bot API first, which keeps the order. Every button press is answered
(answerCallbackQuery) once, as its turn's replies are handed over (one the bot ignores, at
once): Telegram refuses a second answer to a query. A button from an earlier message is the
conversation's to judge (`chat/steps.py`).
Calls answered 429 wait the `retry_after` Telegram gives; 5xx answers are retried a few times
with a growing pause.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

from komunalka.application.readings.read_meter_photo import MAX_PHOTO_BYTES
from komunalka.channels.telegram.bot_api import (
    BotApi,
    BotApiError,
    NetworkError,
    RetryAfter,
    ServerError,
)
from komunalka.channels.telegram.updates import NotAnUpdate, ignored_press, parse
from komunalka.chat.conversation import Conversation
from komunalka.chat.model import Reply

log = logging.getLogger(__name__)
T = TypeVar("T")
SERVER_RETRIES = 3
BUTTONS_PER_ROW = 2
MAX_TEXT = 4096  # Telegram's limit for one message


class TelegramDoor:
    def __init__(
        self,
        conversation: Conversation,
        bot: BotApi,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._conversation = conversation
        self._bot = bot
        self._sleep = sleep

    async def feed(self, payload: dict[str, Any], *, answer: bool = False) -> dict[str, Any] | None:
        """Acts on one update (a webhook body or a polled one). With `answer` (the webhook), the
        last reply's text is not sent but returned as a Bot API call for the webhook's answer;
        otherwise every reply is sent and None returned, as it is for an ignored update."""
        try:
            found = parse(payload)
        except NotAnUpdate:
            log.warning("telegram: not an update")
            return None
        if found is None:
            ignored = ignored_press(payload)
            if ignored is not None:  # every press is answered, even one the bot has no use for
                await self._answer_callback(ignored)
            return None
        chat_id, callback = found.chat_id, found.callback

        async def hand_over(replies: list[Reply]) -> None:
            """Everything but the webhook's answer goes out before the turn is recorded done."""
            if callback is not None:
                await self._answer_callback(callback)
            for reply in replies[:-1] if answer else replies:
                await self.send(chat_id, reply)
            if answer and replies:
                await self._send_picture(chat_id, replies[-1])

        delivery = str(found.update_id)
        event = found.event
        if found.file_id is not None:
            event = replace(event, photo=await self._photo(found.file_id))
        replies = await self._conversation.handle(
            str(found.user_id), found.name, event, delivery, send=hand_over
        )
        if not answer or not replies:  # sent, or a repeat of a finished turn
            return None
        return _send_message_call(chat_id, replies[-1])

    async def _photo(self, file_id: str) -> bytes:
        """The photo's bytes; empty when Telegram will not give it (too large, gone): the
        conversation then asks for another or a typed value."""
        try:
            found = await self._call(lambda: self._bot.download(file_id, MAX_PHOTO_BYTES))
        except (BotApiError, NetworkError) as exc:
            log.info("telegram: photo not downloaded: %s", exc)
            return b""
        return found or b""

    async def _answer_callback(self, callback: str) -> None:
        """Telegram refuses a second answer to a query, and one too old (a turn carried out
        again after a crash): the press is answered by the replies anyway."""
        try:
            await self._call(lambda: self._bot.answer_callback_query(callback))
        except BotApiError as exc:
            if isinstance(exc, RetryAfter | ServerError):
                raise
            log.info("telegram: callback query not answered: %s", exc)

    async def send(self, chat_id: int, reply: Reply) -> None:
        await self._send_picture(chat_id, reply)
        rows = _rows(reply)
        markup = {"inline_keyboard": rows} if rows else None
        text = reply.text[:MAX_TEXT]
        await self._call(lambda: self._bot.send_message(chat_id, text, reply_markup=markup))

    async def _send_picture(self, chat_id: int, reply: Reply) -> None:
        picture = reply.picture
        if picture:
            await self._call(lambda: self._bot.send_photo(chat_id, picture))

    async def _call(self, make: Callable[[], Awaitable[T]]) -> T:
        failures = 0
        while True:
            try:
                return await make()
            except RetryAfter as exc:  # Telegram says how long: wait exactly that
                await self._sleep(exc.retry_after)
            except (ServerError, NetworkError):
                failures += 1
                if failures > SERVER_RETRIES:
                    raise
                await self._sleep(0.5 * 2**failures)


def _rows(reply: Reply) -> list[list[dict[str, str]]]:
    """The inline keyboard as Bot API JSON: the reply's buttons, two to a row."""
    buttons = [{"text": b.label, "callback_data": b.action} for b in reply.buttons]
    return [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]


def _send_message_call(chat_id: int, reply: Reply) -> dict[str, Any]:
    """`sendMessage` as a webhook's answer: the method's name beside its parameters."""
    call: dict[str, Any] = {
        "method": "sendMessage",
        "chat_id": chat_id,
        "text": reply.text[:MAX_TEXT],
    }
    rows = _rows(reply)
    if rows:
        call["reply_markup"] = {"inline_keyboard": rows}
    return call
