"""Telegram updates per second through the webhook for a "reading typed" step, against aiogram
dispatching the same update to an empty handler, measured in the same run.

Ours: POST /webhooks/telegram into the FastAPI app (in-process ASGI, no network for the inbound
call), on PostgreSQL; each update is a resident typing a reading while the bot is asking for it:
the door checks the secret, records the update_id and loads the dialog (one statement), submits
the reading, saves the dialog and answers in the webhook's response (a reply that needed the Bot
API would go to the project's fake server, in a thread).
Reference: aiogram's Dispatcher.feed_update of the same update to an empty handler with an async
filter. Also printed: the floor, updates the door parses and ignores, through the same HTTP path:
what the webhook costs before any work. Usage: .venv/bin/python bench/telegram_updates.py
[--users 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.servers.fake_telegram import FakeTelegram

from support import (
    Database,
    komunalka,
    machine,
    prepare_schema,
    temporary_database,
)

SECRET = "bench-secret"
TARGET = 0.5
REFERENCE_PASSES = 5


def registry(path: Path, users: int) -> None:
    lines = [
        "supplier,account,holder,address,district,service,serial,registers,digits,decimals,"
        "verification_due,status,period,values"
    ]
    for i in range(users):
        lines.append(
            f"kte,{7000000000 + i},Тестенко Іван,Київ,,hot_water,TG{i:08d},T1,5,3,"
            f"2031-01-01,active,2026-10,100"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def update(update_id: int, user: int, text: str) -> dict[str, object]:
    who = {"id": 10_000 + user, "is_bot": False, "first_name": "Іван"}
    chat = {"id": 10_000 + user, "type": "private"}
    message = {"message_id": update_id, "date": 0, "chat": chat, "from": who, "text": text}
    return {"update_id": update_id, "message": message}


def press(update_id: int, user: int, data: str) -> dict[str, object]:
    who = {"id": 10_000 + user, "is_bot": False, "first_name": "Іван"}
    message = {"message_id": 1, "date": 0, "chat": {"id": 10_000 + user, "type": "private"}}
    query = {
        "id": f"q{update_id}",
        "from": who,
        "chat_instance": "c",
        "data": data,
        "message": message,
    }
    return {"update_id": update_id, "callback_query": query}


async def ours(db: Database, users: int, fake_url: str, token: str) -> tuple[float, float]:
    os.environ.update(
        KOMUNALKA_DATABASE_URL=db.url,
        KOMUNALKA_NOW="2026-11-20T12:00:00+02:00",
        KOMUNALKA_TELEGRAM_TOKEN=token,
        KOMUNALKA_TELEGRAM_WEBHOOK_SECRET=SECRET,
        KOMUNALKA_TELEGRAM_API_URL=fake_url,
    )
    from komunalka.bootstrap.app import create_app

    app = create_app()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    transport = httpx.ASGITransport(app=app)
    ids = iter(range(1, 10**9))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def post(body: dict[str, object]) -> None:
            answer = await client.post("/webhooks/telegram", json=body, headers=headers)
            answer.raise_for_status()

        for user in range(users):  # set-up: link the account, open "send readings"
            await post(update(next(ids), user, f"/start {7000000000 + user}"))
            await post(update(next(ids), user, "Тес"))
            await post(press(next(ids), user, "linkyes"))
            await post(press(next(ids), user, "send"))
        start = time.perf_counter()
        await asyncio.gather(*(post(update(next(ids), u, "101,5")) for u in range(users)))
        seconds = time.perf_counter() - start
        # The floor: updates the door parses and ignores (no message): HTTP in, JSON, routing.
        start = time.perf_counter()
        await asyncio.gather(*(post({"update_id": next(ids)}) for _ in range(users)))
        floor = time.perf_counter() - start
    await app.state.telegram_bot.close()
    return users / seconds, users / floor


async def reference(users: int) -> float:
    from aiogram import Bot, Dispatcher
    from aiogram.types import Message, Update

    dispatcher = Dispatcher()

    async def typed(message: Message) -> bool:
        return bool(message.text)

    @dispatcher.message(typed)
    async def handler(message: Message) -> None:
        return None

    bot = Bot("123456:TEST")
    updates = [Update.model_validate(update(i, i, "101,5")) for i in range(users)]
    # An empty handler takes a few dozen milliseconds for all the users: unmeasured warm-up
    # first (aiogram builds its caches on the first updates), then the median of five passes,
    # so one slow spell of the machine does not make the reference.
    for item in updates[:50]:
        await dispatcher.feed_update(bot, item)
    rates = []
    for _ in range(REFERENCE_PASSES):
        start = time.perf_counter()
        for item in updates:
            await dispatcher.feed_update(bot, item)
        rates.append(users / (time.perf_counter() - start))
    await bot.session.close()
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    fake = FakeTelegram()
    fake_url = fake.start_in_thread()
    try:
        with temporary_database("telegram") as db:
            prepare_schema(db)
            with tempfile.TemporaryDirectory(prefix="komunalka-bench-") as tmp:
                path = Path(tmp) / "registry.csv"
                registry(path, args.users)
                komunalka(db, "import-registry", str(path))
            rate, floor = asyncio.run(ours(db, args.users, fake_url, fake.token))
    finally:
        fake.stop_thread()
    ref = asyncio.run(reference(args.users))
    ratio = rate / ref
    print(f"machine: {machine()}")
    print(f"  ours {rate:,.0f} updates/s (a typed reading: dialog, submit, answer)")
    print(f"  reference {ref:,.0f} updates/s (aiogram feed_update, empty handler, async filter)")
    print(f"  floor {floor:,.0f} updates/s, {floor / ref:.2f} x reference (ignored at the door)")
    print(f"  ratio {ratio:.3f} (target >= {TARGET}): {'met' if ratio >= TARGET else 'MISSED'}")


if __name__ == "__main__":
    main()
