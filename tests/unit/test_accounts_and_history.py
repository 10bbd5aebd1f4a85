"""LinkAccount, ListMyMeters, ReadingHistory, IssueToken and Authenticate against the fakes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from komunalka.application.accounts.link_account import (
    LinkAccount,
    LinkAccountRequest,
    Proof,
    read_proof,
)
from komunalka.application.identity.issue_token import Authenticate, IssueToken, RevokeToken
from komunalka.application.readings.list_my_meters import ListMyMeters, PeriodStatus
from komunalka.application.readings.reading_history import ReadingHistory
from komunalka.application.readings.submit_readings import (
    ReadingItem,
    SubmitReadings,
    SubmitReadingsRequest,
)
from komunalka.application.shared.actors import Actor
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Channel
from tests.fakes import FakeClock, FakeRevocations, FakeTicks, InMemoryStore, kyiv
from tests.world import World, build_world


@pytest.fixture
async def setup() -> tuple[InMemoryStore, World, FakeClock, int]:
    store = InMemoryStore()
    world = await build_world(store)
    async with store(write=True) as u:
        newcomer = await store.residents.add("Олена", kyiv(2026, 11, 1))
        await u.commit()
    return store, world, FakeClock(kyiv(2026, 11, 20)), newcomer


def linker(store: InMemoryStore, clock: FakeClock) -> LinkAccount:
    s = store
    return LinkAccount(s, s.suppliers, s.accounts, s.meters, s.link_attempts, s.audit, clock)


def issuer(store: InMemoryStore, clock: FakeClock) -> IssueToken:
    return IssueToken(store, store.residents, store.tokens, store.audit, clock)


def revoker(
    store: InMemoryStore, clock: FakeClock, revocations: FakeRevocations | None = None
) -> RevokeToken:
    return RevokeToken(store, store.tokens, store.audit, clock, revocations or FakeRevocations())


def authenticator(
    store: InMemoryStore, revocations: FakeRevocations | None = None, ticks: FakeTicks | None = None
) -> Authenticate:
    return Authenticate(store, store.tokens, revocations or FakeRevocations(), ticks or FakeTicks())


def link(resident: int, number: str = "1000001357", **proof: str) -> LinkAccountRequest:
    return LinkAccountRequest(Actor.resident(resident, Channel.VIBER), number, **proof)


async def test_an_account_is_linked_by_the_first_letters_of_the_surname(setup) -> None:
    store, _, clock, newcomer = setup
    result = await linker(store, clock)(link(newcomer, proof="шев"))
    assert result.masked_holder == "Шев***** Т. Г."
    assert result.supplier_code == "kte" and not result.already_linked


async def test_an_account_is_linked_by_a_meter_serial_typed_loosely(setup) -> None:
    store, _, clock, newcomer = setup
    result = await linker(store, clock)(link(newcomer, "1000 001 357", proof="hw-001 1234"))
    assert result.account_number == "1000001357"


async def test_linking_twice_is_harmless(setup) -> None:
    store, _, clock, newcomer = setup
    use = linker(store, clock)
    await use(link(newcomer, proof="Шев"))
    again = await use(link(newcomer, proof="Шев"))
    assert again.already_linked


async def test_a_wrong_proof_and_an_unknown_account_look_the_same(setup) -> None:
    store, _, clock, newcomer = setup
    use = linker(store, clock)
    for request in (
        link(newcomer, proof="Ков"),
        link(newcomer, "1999999999", proof="Шев"),
    ):
        with pytest.raises(DomainError) as exc:
            await use(request)
        assert exc.value.code == "link.not_matched"
    assert not [k for k in store.state.links if k[0] == newcomer]


async def test_wrong_attempts_are_limited_per_resident(setup) -> None:
    store, _, clock, newcomer = setup
    use = linker(store, clock)
    for _ in range(5):
        with pytest.raises(DomainError):
            await use(link(newcomer, proof="Ков"))
    with pytest.raises(DomainError) as exc:
        await use(link(newcomer, proof="Шев"))  # even the right proof now
    assert exc.value.code == "link.too_many_attempts"
    clock.instant += timedelta(hours=1, minutes=1)
    assert (await use(link(newcomer, proof="Шев"))).account_number == "1000001357"


async def test_wrong_attempts_are_limited_per_account_across_residents(setup) -> None:
    store, _, clock, _ = setup
    use = linker(store, clock)
    async with store(write=True) as u:
        others = [await store.residents.add(f"r{i}", clock.now()) for i in range(11)]
        await u.commit()
    for resident in others[:10]:
        with pytest.raises(DomainError):
            await use(link(resident, proof="Ков"))
    with pytest.raises(DomainError) as exc:
        await use(link(others[10], proof="Шев"))
    assert exc.value.code == "link.too_many_attempts"


@pytest.mark.parametrize(
    ("request_kwargs", "code"),
    [
        ({}, "link.proof_required"),
        ({"proof": "  "}, "link.proof_required"),
        ({"proof": "Ше"}, "link.surname_too_short"),
        ({"proof": "Шев", "supplier_code": "nope"}, "supplier.not_found"),
    ],
)
async def test_bad_link_requests_are_refused_with_their_code(setup, request_kwargs, code) -> None:
    store, _, clock, newcomer = setup
    with pytest.raises(DomainError) as exc:
        await linker(store, clock)(link(newcomer, **request_kwargs))
    assert exc.value.code == code


async def test_a_number_no_supplier_uses_is_refused(setup) -> None:
    store, _, clock, newcomer = setup
    with pytest.raises(DomainError) as exc:
        await linker(store, clock)(link(newcomer, "12", proof="Шев"))
    assert exc.value.code == "link.bad_number"


async def test_my_meters_show_this_periods_status(setup) -> None:
    store, world, clock, _ = setup
    await SubmitReadings(store, store.submissions, store.readings, clock)(
        SubmitReadingsRequest(
            Actor.resident(world.resident, Channel.WEB), [ReadingItem(world.hot_water, "116")]
        )
    )
    overview = {
        m.meter.id: m for m in await ListMyMeters(store, store.meter_list, clock)(world.resident)
    }
    assert overview[world.hot_water].status is PeriodStatus.SENT
    assert overview[world.overdue].status is PeriodStatus.BLOCKED
    assert overview[world.overdue].blocked_code == "meter.verification_overdue"
    electricity = overview[world.electricity]
    assert electricity.status is PeriodStatus.WINDOW_CLOSED
    assert (str(electricity.opens_on), str(electricity.closes_on)) == ("2026-11-29", "2026-12-03")
    assert world.stranger_meter not in overview


async def test_history_shows_consumption_and_corrections(setup) -> None:
    store, world, clock, _ = setup
    submit = SubmitReadings(store, store.submissions, store.readings, clock)
    actor = Actor.resident(world.resident, Channel.WEB)
    for value in ("118", "117,5"):
        await submit(SubmitReadingsRequest(actor, [ReadingItem(world.hot_water, value)]))
    history = await ReadingHistory(store, store.meters, store.readings, store.tariffs, clock)(
        actor, world.hot_water, months=3
    )
    shown = [
        (str(e.reading.period), e.reading.value, e.consumption, e.reading.status.value)
        for e in history.entries
    ]
    assert shown == [
        ("2026-11", Decimal("117.5"), Decimal("2.5"), "accepted"),
        ("2026-11", Decimal(118), None, "superseded"),
        ("2026-10", Decimal("115"), Decimal("2.5"), "accepted"),
        ("2026-09", Decimal("112.5"), Decimal("2.5"), "accepted"),
    ]


async def test_history_of_someone_elses_meter_is_refused(setup) -> None:
    store, world, clock, _ = setup
    with pytest.raises(DomainError) as exc:
        await ReadingHistory(store, store.meters, store.readings, store.tariffs, clock)(
            Actor.resident(world.resident, Channel.WEB), world.stranger_meter
        )
    assert exc.value.code == "meter.not_found"


async def test_an_issued_token_authenticates_its_resident_and_only_a_hash_is_kept(setup) -> None:
    store, world, clock, _ = setup
    issued = await issuer(store, clock)(Actor.system(), resident_id=world.resident)
    assert issued.token not in store.state.tokens
    authenticate = authenticator(store)
    assert await authenticate(issued.token) == world.resident
    assert await authenticate("kmn_wrong") is None
    assert await authenticate("") is None


async def test_a_token_for_a_missing_resident_is_refused(setup) -> None:
    store, _, clock, _ = setup
    with pytest.raises(DomainError) as exc:
        await issuer(store, clock)(Actor.system(), resident_id=424242)
    assert exc.value.code == "resident.not_found"


async def test_a_revoked_token_no_longer_authenticates(setup) -> None:
    store, world, clock, _ = setup
    issued = await issuer(store, clock)(Actor.system(), resident_id=world.resident)
    assert await revoker(store, clock)(Actor.system(), issued.token) == world.resident
    assert await authenticator(store)(issued.token) is None
    with pytest.raises(DomainError) as exc:
        await revoker(store, clock)(Actor.system(), issued.token)
    assert exc.value.code == "token.not_found"


async def test_a_remembered_token_stops_at_once_when_revoked(setup) -> None:
    store, world, clock, _ = setup
    issued = await issuer(store, clock)(Actor.system(), resident_id=world.resident)
    revocations = FakeRevocations()
    authenticate = authenticator(store, revocations)
    assert await authenticate(issued.token) == world.resident
    asked = len(store.units)
    assert await authenticate(issued.token) == world.resident
    assert len(store.units) == asked  # remembered: no database round trip
    await revoker(store, clock, revocations)(Actor.system(), issued.token)
    assert revocations.bumps == 1
    assert await authenticate(issued.token) is None


async def test_remembered_tokens_age_on_real_time_even_with_a_frozen_clock(setup) -> None:
    store, world, clock, _ = setup
    issued = await issuer(store, clock)(Actor.system(), resident_id=world.resident)
    ticks = FakeTicks()
    authenticate = authenticator(store, ticks=ticks)
    await authenticate(issued.token)
    asked = len(store.units)
    ticks.seconds += 29
    await authenticate(issued.token)
    assert len(store.units) == asked
    ticks.seconds += 2  # the business clock has not moved; 31 s of real time have
    await authenticate(issued.token)
    assert len(store.units) == asked + 1


async def test_tokens_are_looked_up_every_time_while_revocations_are_unreadable(setup) -> None:
    store, world, clock, _ = setup
    issued = await issuer(store, clock)(Actor.system(), resident_id=world.resident)
    authenticate = authenticator(store, FakeRevocations(readable=False))
    await authenticate(issued.token)
    asked = len(store.units)
    assert await authenticate(issued.token) == world.resident
    assert len(store.units) == asked + 1


async def test_checking_a_proof_links_nothing_but_a_wrong_one_still_counts(setup) -> None:
    store, _, clock, newcomer = setup
    use = linker(store, clock)
    checked = await use(
        LinkAccountRequest(
            Actor.resident(newcomer, Channel.VIBER),
            "1000001357",
            proof="Шев",
            check_only=True,
        )
    )
    assert checked.masked_holder == "Шев***** Т. Г." and not checked.already_linked
    assert not [k for k in store.state.links if k[0] == newcomer]
    with pytest.raises(DomainError):
        await use(
            LinkAccountRequest(
                Actor.resident(newcomer, Channel.VIBER),
                "1000001357",
                proof="Ков",
                check_only=True,
            )
        )
    assert [a for a in store.state.attempts if a[0] == newcomer and not a[3]]


@pytest.mark.parametrize(
    ("typed", "kind"),
    [("Шев", "surname"), ("Ol'ena", "surname"), ("hw-001 1234", "serial"), ("Ко1", "serial")],
)
def test_the_link_use_case_reads_what_the_proof_is(typed: str, kind: str) -> None:
    assert read_proof(typed).kind == kind


@pytest.mark.parametrize(
    ("typed", "kind"),
    [("Шев", "serial"), ("AB", "serial"), ("HW0011234", "surname"), ("Ол'ена", "surname")],
)
def test_a_proof_whose_kind_the_caller_names_is_read_as_that_kind(typed: str, kind: str) -> None:
    assert read_proof(typed, kind) == Proof(kind, typed)


async def test_letters_named_a_serial_are_never_taken_for_the_surname(setup) -> None:
    store, _, clock, newcomer = setup
    use = linker(store, clock)
    with pytest.raises(DomainError) as exc:
        await use(link(newcomer, proof="Шев", proof_kind="serial"))
    assert exc.value.code == "link.not_matched"
    assert (await use(link(newcomer, proof="Шев", proof_kind="surname"))).account_number
