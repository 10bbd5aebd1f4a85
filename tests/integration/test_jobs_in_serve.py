"""The web service runs the periodic jobs by itself (the embedded default): a message left in
the outbox goes out with no call from anyone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.storage import SqlStorage
from komunalka.application.shared.ports import OutgoingMessage
from komunalka.bootstrap.app import create_app
from komunalka.bootstrap.container import Container
from komunalka.bootstrap.wiring import Wiring
from tests.channels.pages import PASSWORDS, settings_for
from tests.fakes import FakeClock


class RecordingSender:
    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def send(self, message: OutgoingMessage) -> None:
        self.recipients.append(message.recipient)


async def _serve(database_url: str, sender: RecordingSender, **settings: object) -> Container:
    engine = create_engine(database_url)  # the app's own: its lifespan disposes of it
    clock = FakeClock(datetime.now(UTC))
    wiring = Wiring.wire(SqlStorage(engine), clock, passwords=PASSWORDS, senders={"email": sender})
    return Container(settings_for(database_url, **settings), engine, wiring)


async def _leave_in_outbox(storage: SqlStorage, recipient: str) -> None:
    async with storage(write=True) as tx:
        message = OutgoingMessage("email", recipient, "s", "b")
        await storage.outbox.add(message, datetime.now(UTC))
        await tx.commit()


async def _sent_within(sender: RecordingSender, seconds: float) -> list[str]:
    for _ in range(int(seconds * 20)):
        if sender.recipients:
            break
        await asyncio.sleep(0.05)
    return sender.recipients


async def test_serve_sends_the_outbox_by_itself(uow, database_url) -> None:
    sender = RecordingSender()
    app = create_app(container=await _serve(database_url, sender, outbox_interval=1))
    async with app.router.lifespan_context(app):
        await _leave_in_outbox(uow, "olena@example.com")
        assert await _sent_within(sender, 5) == ["olena@example.com"]


async def test_serve_runs_no_jobs_when_workers_do(uow, database_url) -> None:
    sender = RecordingSender()
    container = await _serve(database_url, sender, outbox_interval=1, jobs_in_process=False)
    app = create_app(container=container)
    await _leave_in_outbox(uow, "olena@example.com")
    async with app.router.lifespan_context(app):
        assert await _sent_within(sender, 1.5) == []
