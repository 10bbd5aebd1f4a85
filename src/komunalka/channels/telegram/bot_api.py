"""The few Bot API calls the door makes, as plain HTTP over the client bootstrap gives it.

Not aiogram: its import alone (every Bot API type as a pydantic model) took 4-8 s of a process's
start, and the door sends three methods (docs/BENCHMARKS.md, "Start-up"). Answers map as
aiogram's did: 429 → `RetryAfter` with Telegram's `retry_after`, 5xx → `ServerError`, no
answer → `NetworkError`, any other refusal → `BotApiError`.
"""

from __future__ import annotations

import json
from typing import Any

import httpx


class BotApiError(Exception):
    """Telegram refused the call (`ok: false`); the message is its description."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"{status}: {description}")
        self.status = status


class RetryAfter(BotApiError):
    def __init__(self, status: int, description: str, retry_after: float) -> None:
        super().__init__(status, description)
        self.retry_after = retry_after


class ServerError(BotApiError):
    pass


class NetworkError(Exception):
    """No answer: the connection failed or timed out (the call may have arrived)."""


class BotApi:
    """`client` is bound to the Bot API's base URL (KOMUNALKA_TELEGRAM_API_URL)."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self._client = client
        self._prefix = f"/bot{token}/"
        self._files = f"/file/bot{token}/"

    async def call(
        self, method: str, params: dict[str, Any], answer_within: float | None = None
    ) -> Any:
        """The call's `result`, or the error its answer maps to; `answer_within` seconds instead
        of the client's own timeout (a long poll)."""
        return await self._post(method, answer_within, json=params)

    async def send_photo(self, chat_id: int, png: bytes, filename: str = "chart.png") -> Any:
        files = {"photo": (filename, png, "image/png")}
        return await self._post("sendPhoto", None, data={"chat_id": str(chat_id)}, files=files)

    async def answer_callback_query(self, query_id: str) -> Any:
        return await self.call("answerCallbackQuery", {"callback_query_id": query_id})

    async def send_message(
        self, chat_id: int, text: str, reply_markup: dict[str, Any] | None = None
    ) -> Any:
        params: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if reply_markup is not None:
            params["reply_markup"] = reply_markup
        return await self.call("sendMessage", params)

    async def download(self, file_id: str, most: int) -> bytes | None:
        """A file the user sent (getFile, then its download), or None when it is larger than
        `most` bytes or gone; Bot API errors as for any call."""
        found = await self.call("getFile", {"file_id": file_id})
        path = found.get("file_path") if isinstance(found, dict) else None
        size = found.get("file_size") if isinstance(found, dict) else None
        if not isinstance(path, str) or (isinstance(size, int) and size > most):
            return None
        body = bytearray()
        try:
            async with self._client.stream("GET", self._files + path) as answer:
                if answer.status_code >= 500:
                    raise ServerError(answer.status_code, answer.reason_phrase)
                if not answer.is_success:
                    return None
                async for chunk in answer.aiter_bytes():
                    body += chunk
                    if len(body) > most:
                        return None
        except httpx.TransportError as exc:
            raise NetworkError(f"download: {type(exc).__name__}") from exc
        return bytes(body)

    async def close(self) -> None:
        await self._client.aclose()

    async def _post(self, method: str, answer_within: float | None, **content: Any) -> Any:
        extra: dict[str, Any] = {} if answer_within is None else {"timeout": answer_within}
        try:
            answer = await self._client.post(self._prefix + method, **content, **extra)
        except httpx.TransportError as exc:
            raise NetworkError(f"{method}: {type(exc).__name__}") from exc
        try:
            body = answer.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = {}
        if not isinstance(body, dict):
            body = {}
        if answer.is_success and body.get("ok") is True:
            return body.get("result")
        status = answer.status_code
        description = str(body.get("description") or answer.reason_phrase)
        parameters = body.get("parameters")
        if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), int | float):
            raise RetryAfter(status, description, float(parameters["retry_after"]))
        if status >= 500:
            raise ServerError(status, description)
        raise BotApiError(status, description)
