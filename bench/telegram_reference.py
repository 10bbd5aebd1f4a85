"""The reference of the Telegram webhook benchmark: a minimal real bot, run as a process of its own.

    BENCH_REF_DSN=postgresql://... python bench/telegram_reference.py --port 8001 --secret S

aiogram's own webhook handler (`SimpleRequestHandler` on aiohttp, the handler's answer written
into the webhook response) with one message handler that, for a typed reading, does in ONE
transaction with raw asyncpg what a bot must: load the chat's state row (`FOR UPDATE`), parse the
number, read the meter's previous accepted reading, insert the reading into the same `readings`
table as the real app, save the state; then answers "stored" with the value and the consumption.
Its chat table (`ref_chats`) is created and filled by bench/telegram_webhook.py.
`GET /health` answers 200 once the pool is open.
"""

from __future__ import annotations

import argparse
import os
from decimal import Decimal, InvalidOperation
from typing import Any

import asyncpg
from aiogram import Bot, Dispatcher, F
from aiogram.methods import SendMessage
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

PERIOD = 2026 * 12 + 11 - 1  # 2026-11, as komunalka stores a period

SCHEMA = """
CREATE TABLE ref_chats (
    chat_id bigint PRIMARY KEY,
    step text NOT NULL,
    meter_id bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""
PREVIOUS = """
    SELECT value_milli FROM readings
    WHERE meter_id = $1 AND register = 'T1' AND status = 'accepted' AND period < $2
    ORDER BY period DESC LIMIT 1
"""
INSERT = """
    INSERT INTO readings (meter_id, register, period, value_milli, submitted_at, channel, status)
    VALUES ($1, 'T1', $2, $3, now(), 'telegram', 'accepted')
"""
MILLI = Decimal("0.001")


def parse(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(" ", "").replace("\u202f", "").replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def build(pool: asyncpg.Pool) -> Dispatcher:
    dispatcher = Dispatcher()

    @dispatcher.message(F.text)
    async def typed(message: Message) -> SendMessage:
        chat_id = message.chat.id
        value = parse(message.text or "")
        async with pool.acquire() as conn, conn.transaction():
            state = await conn.fetchrow(
                "SELECT step, meter_id FROM ref_chats WHERE chat_id = $1 FOR UPDATE", chat_id
            )
            if state is None or state["step"] != "awaiting_reading":
                return message.answer("Choose what to do from the menu.")
            if value is None:
                return message.answer("Type the reading as a number, e.g. 1234,5.")
            previous = await conn.fetchval(PREVIOUS, state["meter_id"], PERIOD)
            milli = int(value.quantize(MILLI) / MILLI)
            if previous is not None and milli < previous:
                return message.answer(f"Lower than the previous reading {previous * MILLI}.")
            await conn.execute(INSERT, state["meter_id"], PERIOD, milli)
            await conn.execute(
                "UPDATE ref_chats SET step = 'menu', updated_at = now() WHERE chat_id = $1",
                chat_id,
            )
        used = "" if previous is None else f", {(milli - previous) * MILLI} used"
        return message.answer(f"Stored: {value}{used}.")

    return dispatcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--pool", type=int, default=20)
    args = parser.parse_args()
    dsn = os.environ["BENCH_REF_DSN"]
    state: dict[str, Any] = {}

    async def start(app: web.Application) -> None:
        pool = await asyncpg.create_pool(dsn, min_size=args.pool, max_size=args.pool)
        state["pool"] = pool
        bot = Bot("123456:REFERENCE")
        handler = SimpleRequestHandler(
            build(pool), bot, handle_in_background=False, secret_token=args.secret
        )
        handler.register(app, path="/webhook")
        state["bot"] = bot

    async def stop(app: web.Application) -> None:
        await state["pool"].close()
        await state["bot"].session.close()

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/health", health)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    import uvloop

    uvloop.install()
    main()
