"""ShowReceipts and VerifyReceipt against the in-memory fakes: who sees which receipt, what a
check by number and by token says, and how failed look-ups are limited."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from komunalka.adapters.receipt_keys import Ed25519ReceiptKeys
from komunalka.application.readings.submit_readings import (
    ReadingItem,
    SubmitReadings,
    SubmitReadingsRequest,
)
from komunalka.application.readings.verify_receipt import (
    FAILED_LOOKUPS,
    LOOKUP_WINDOW,
    Held,
    ShowReceipts,
    Verdict,
    VerifyReceipt,
)
from komunalka.application.shared.actors import Actor, ActorKind
from komunalka.domain.errors import DomainError
from komunalka.domain.readings import ReadingStatus
from komunalka.domain.receipts import ReceiptToken
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, InMemoryStore, kyiv
from tests.world import World, build_world


class Setup:
    def __init__(self, store: InMemoryStore, world: World) -> None:
        self.store, self.world = store, world
        self.clock = FakeClock(kyiv(2026, 11, 20))
        self.keys = Ed25519ReceiptKeys(Ed25519PrivateKey.generate())
        records = store.receipt_records
        self.show = ShowReceipts(store, records, store.accounts, self.keys)
        attempts = store.sign_in_attempts
        self.verify = VerifyReceipt(store, records, attempts, self.keys, self.clock)
        self.me = Actor.resident(world.resident, Channel.WEB)

    async def send(self, meter_id: int, value: str) -> str:
        submit = SubmitReadings(self.store, self.store.submissions, self.store.readings, self.clock)
        request = SubmitReadingsRequest(self.me, [ReadingItem(meter_id, value)])
        return (await submit(request)).readings[0].receipt


@pytest.fixture
async def s() -> Setup:
    store = InMemoryStore()
    return Setup(store, await build_world(store))


async def test_a_resident_gets_their_receipts_signed_and_never_anothers(s: Setup) -> None:
    mine = await s.send(s.world.hot_water, "117,5")
    shown = await s.show(s.me, [mine.lower(), "2611-0000-0000"])
    assert [x.held.record.receipt for x in shown] == [mine]
    token = shown[0].token
    assert s.keys.verify(token.key_id, token.record, token.signature) is True
    assert b"account=1000001357\n" in token.record and b"value=117.500\n" in token.record
    stranger = Actor.resident(s.world.resident + 1000, Channel.WEB)
    assert await s.show(stranger, [mine]) == []
    staff = Actor(ActorKind.OPERATOR, 7, Channel.PHONE)
    assert len(await s.show(staff, [mine])) == 1


async def test_a_check_by_number_masks_the_account_and_serial_and_counts_no_hit(s: Setup) -> None:
    number = await s.send(s.world.hot_water, "117,5")
    check = await s.verify(number.replace("-", " "), "203.0.113.5")
    assert check.verdict is Verdict.GENUINE and check.by_number
    assert check.record is not None
    assert check.record.account == "••••••1357" and check.record.meter == "•••••1234"
    assert check.found is not None and check.found.status is ReadingStatus.ACCEPTED
    assert s.store.state.sign_in_attempts == []


async def test_unknown_numbers_are_limited_per_address_and_age_out(s: Setup) -> None:
    number = await s.send(s.world.hot_water, "117,5")
    for i in range(FAILED_LOOKUPS):
        miss = await s.verify(f"2611-0000-{i:04d}", "203.0.113.5")
        assert miss.verdict is Verdict.NOT_FOUND
    with pytest.raises(DomainError) as caught:
        await s.verify(number, "203.0.113.5")
    assert caught.value.code == "receipt.too_many"
    assert (await s.verify(number, "198.51.100.7")).verdict is Verdict.GENUINE  # another address
    s.clock.instant += LOOKUP_WINDOW + timedelta(seconds=1)
    assert (await s.verify(number, "203.0.113.5")).verdict is Verdict.GENUINE


async def test_a_token_says_whether_the_service_holds_the_same_record(s: Setup) -> None:
    number = await s.send(s.world.hot_water, "117,5")
    (shown,) = await s.show(s.me, [number])
    token = shown.token.text()
    same = await s.verify(token)
    assert (same.verdict, same.held) == (Verdict.GENUINE, Held.SAME)
    assert same.record is not None and same.record.account == "1000001357"  # not masked

    # the reading behind it changed in the database after the receipt was signed
    state = s.store.state
    state.readings = [
        replace(r, value=r.value + 1) if r.receipt == number else r for r in state.readings
    ]
    changed = await s.verify(token)
    assert (changed.verdict, changed.held) == (Verdict.GENUINE, Held.DIFFERENT)
    state.readings = [r for r in state.readings if r.receipt != number]
    gone = await s.verify(token)
    assert (gone.verdict, gone.held) == (Verdict.GENUINE, Held.ABSENT)


async def test_a_forged_token_is_told_and_what_it_claims_is_not_repeated(s: Setup) -> None:
    number = await s.send(s.world.hot_water, "117,5")
    (shown,) = await s.show(s.me, [number])
    t = shown.token
    forged = ReceiptToken(t.record.replace(b"117.500", b"107.500"), t.key_id, t.signature)
    check = await s.verify(forged.text())
    assert (check.verdict, check.record, check.held) == (Verdict.FORGED, None, None)


@pytest.mark.parametrize(
    ("typed", "code"),
    [("", "receipt.empty"), ("   ", "receipt.empty"), ("abc", "receipt.not_a_code")],
)
async def test_garbage_is_refused_and_counts_nothing(s: Setup, typed: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        await s.verify(typed, "203.0.113.5")
    assert caught.value.code == code
    assert s.store.state.sign_in_attempts == []
