"""Reminders delivered through the project's fake Telegram and Viber servers, which misbehave as
the real ones do (429 with retry_after, 403 for blocked chats, chat not found, random 5xx):
every due resident is reminded once, none twice, never above the rate limit, and the blocked
ones are marked and left alone."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from komunalka.adapters.telegram_notices import TelegramNoticeSender
from komunalka.adapters.throttle import InMemorySendThrottle, default_rates
from komunalka.adapters.viber_notices import ViberNoticeSender
from komunalka.application.identity.ports import Identity, ResidentProfile
from komunalka.application.notifications.deliver_outbox import RetryPolicy
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.meters import Supplier
from komunalka.domain.windows import WindowRule
from tests.contracts.landing import land, registry_row
from tests.fakes import FakeClock, kyiv
from tests.servers.fake_telegram import FakeTelegram
from tests.servers.fake_viber import FakeViber

RESIDENTS = 40
RATE = 20
POLICY = RetryPolicy(lease=timedelta(minutes=2), first_delay=timedelta(seconds=2), max_attempts=8)
PLANNED_AT = kyiv(2026, 11, 10, 9, 0)


async def _residents(storage: Any, channel: str, window: str = "5..-1") -> list[str]:
    """RESIDENTS residents, each with a due meter of one supplier and `channel` chosen with
    consent; their addresses."""
    async with storage(write=True) as tx:
        supplier = await storage.suppliers.add(
            Supplier(0, "kte", "Київтеплоенерго", WindowRule.parse(window), r"\d{10}"),
            ["hot_water"],
        )
        await tx.commit()
    rows = [registry_row(f"10000{n:05d}", f"HW{n:07d}") for n in range(RESIDENTS)]
    await land(storage, {"kte": supplier.id}, [rows])
    addresses = []
    async with storage(write=True) as tx:
        for n in range(RESIDENTS):
            resident = int(await storage.residents.add(f"Мешканець {n}", PLANNED_AT))
            account = await storage.accounts.by_number(supplier.id, f"10000{n:05d}")
            await storage.accounts.link(resident, account.id, "surname", PLANNED_AT)
            address = str(700_000 + n)
            await storage.identities.add(
                Identity(channel, address, resident, "uk", True), PLANNED_AT
            )
            await storage.profiles.save(ResidentProfile(resident, "uk", channel, PLANNED_AT))
            addresses.append(address)
        await tx.commit()
    return addresses


async def _deliver(wiring: Wiring, clock: FakeClock) -> Counter[str]:
    """Plans at 09:00, then sends round after round from 19:59:00 on, a few seconds apart, as a
    worker does, until nothing is left to try; the outcomes."""
    clock.instant = PLANNED_AT
    assert (await wiring.plan_reminders()).planned == RESIDENTS
    outcomes: Counter[str] = Counter()
    clock.instant = kyiv(2026, 11, 10, 19, 59, 0)
    for _ in range(40):
        done = await wiring.send_reminders()
        outcomes.update({k: v for k, v in vars_of(done).items() if v})
        clock.instant += timedelta(seconds=3)
        if sum(outcomes.values()) - outcomes["retried"] >= RESIDENTS:
            break
    return outcomes


def vars_of(report: object) -> dict[str, int]:
    return {name: getattr(report, name) for name in report.__slots__}  # type: ignore[attr-defined]


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(
        token=f"{uuid.uuid4().int % 10**9}:T",
        limit_per_second=RATE,
        too_many_rate=0.05,
        error_rate=0.1,
        seed=7,
    )
    await server.start()
    yield server
    await server.stop()


async def test_telegram_reminds_each_due_resident_once_within_the_limits(
    storage: Any, telegram: FakeTelegram
) -> None:
    addresses = await _residents(storage, "telegram")
    telegram.blocked = {addresses[0], addresses[1]}
    telegram.missing = {addresses[2]}
    clock = FakeClock(PLANNED_AT)
    async with httpx.AsyncClient(base_url=telegram.url, timeout=5) as client:
        sender = TelegramNoticeSender(
            client, telegram.token, InMemorySendThrottle(default_rates(RATE))
        )
        wiring = Wiring.wire(storage, clock, notices={"telegram": sender}, policy=POLICY)
        outcomes = await _deliver(wiring, clock)
    delivered = Counter(str(c.params["chat_id"]) for c in telegram.delivered())
    assert set(delivered) == set(addresses[3:]) and set(delivered.values()) == {1}
    assert outcomes["sent"] == RESIDENTS - 3
    assert outcomes["unreachable"] == 2 and outcomes["dropped"] == 1
    assert telegram.max_in_window(1.0) <= RATE
    statuses = Counter(c.status for c in telegram.calls)
    assert statuses[429] > 0 and statuses[502] > 0  # the faults did happen
    # the blocked ones are marked: the next rule of the period does not plan them (a chat not
    # found drops that message only)
    clock.instant = kyiv(2026, 11, 27, 9, 0)
    assert (await wiring.plan_reminders()).planned == RESIDENTS - 2


async def test_viber_reminds_each_due_resident_once_and_stops_at_unsubscribed(
    storage: Any,
) -> None:
    addresses = await _residents(storage, "viber")
    viber = FakeViber(unsubscribed={addresses[0]}, missing={addresses[1]}, error_rate=0.1)
    viber.billing_status = 5
    await viber.start()
    clock = FakeClock(PLANNED_AT)
    try:
        headers = {"X-Viber-Auth-Token": viber.token}
        async with httpx.AsyncClient(base_url=viber.url, headers=headers, timeout=5) as client:
            sender = ViberNoticeSender(client, viber.token, InMemorySendThrottle())
            wiring = Wiring.wire(storage, clock, notices={"viber": sender}, policy=POLICY)
            outcomes = await _deliver(wiring, clock)
    finally:
        await viber.stop()
    assert outcomes["sent"] == RESIDENTS - 2
    assert outcomes["unreachable"] == 1 and outcomes["dropped"] == 1
    reached = Counter()
    for method, body in viber.calls:
        if method == "send_message":
            reached[str(body["receiver"])] += 1
        elif method == "broadcast_message":
            reached.update(str(r) for r in body["broadcast_list"])
    assert all(reached[a] >= 1 for a in addresses[2:])
