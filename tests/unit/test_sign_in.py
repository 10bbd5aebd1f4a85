"""The sign-in use cases against the in-memory fakes: what they store, what they refuse, what
they send; the same rules run on both databases in tests/integration/test_sign_in.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from komunalka.application.identity.ports import ResetTicket
from komunalka.application.identity.sign_in import RESIDENT, STAFF, hash_token
from komunalka.application.notifications.deliver_outbox import DeliverOutbox, RetryPolicy
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import OutgoingMessage
from komunalka.bootstrap.feature_wiring import Guards
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.errors import DomainError
from komunalka.domain.staff import StaffRole
from tests.fakes import FakeClock, FakePasswords, FakePauses, FakeSender, InMemoryStore, kyiv


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(kyiv(2026, 11, 20))


@pytest.fixture
def wall() -> FakeClock:
    """Real time, for the limits: moves apart from the business clock."""
    return FakeClock(kyiv(2026, 11, 20))


@pytest.fixture
def pauses() -> FakePauses:
    return FakePauses()


@pytest.fixture
def sender() -> FakeSender:
    return FakeSender()


@pytest.fixture
def uc(store, clock, wall, pauses, sender) -> Wiring:
    return Wiring.wire(
        store,
        clock,
        passwords=FakePasswords(),
        senders={"email": sender},
        guards=Guards(wall=wall, pause=pauses),
    )


async def test_sign_up_stores_a_hash_a_profile_and_a_session_not_the_secrets(uc, store) -> None:
    opened = await uc.sign_up("Olena@Example.com", "correct horse", " Олена ", "en")
    state = store.state
    (login,) = state.web_logins.values()
    assert login.login == "olena@example.com"
    assert login.password_hash != "correct horse"
    assert state.profiles[opened.subject_id].language == "en"
    assert state.residents[opened.subject_id] == "Олена"
    assert list(state.web_sessions) == [hash_token(opened.token)]
    assert [a[1] for a in state.audit] == ["resident.sign_up"]


async def test_a_refused_sign_up_writes_nothing(uc, store) -> None:
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    before = store.commits
    for login, password, name, code in [
        ("olena@example.com", "another pass", "Інша", "signin.login_taken"),
        ("not a login", "correct horse", "Хтось", "signin.bad_login"),
        ("new@example.com", "short", "Хтось", "signin.weak_password"),
        ("new@example.com", "correct horse", "  ", "signin.name_required"),
    ]:
        with pytest.raises(DomainError) as refused:
            await uc.sign_up(login, password, name)
        assert refused.value.code == code
    assert store.commits == before


async def test_failures_from_one_address_refuse_that_address_only(uc, wall) -> None:
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    for _ in range(5):
        with pytest.raises(DomainError, match=r"signin\.wrong"):
            await uc.sign_in("olena@example.com", "wrong pass", "1.1.1.1")
    with pytest.raises(DomainError, match=r"signin\.too_many"):
        await uc.sign_in("olena@example.com", "correct horse", "1.1.1.1")
    # the person, elsewhere, is not locked out by whoever typed at 1.1.1.1
    assert (await uc.sign_in("olena@example.com", "correct horse", "2.2.2.2")).kind == RESIDENT
    wall.instant += timedelta(minutes=15, seconds=1)
    assert (await uc.sign_in("olena@example.com", "correct horse", "1.1.1.1")).kind == RESIDENT


async def test_an_address_failing_on_many_logins_is_refused_for_all(uc) -> None:
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    for n in range(30):
        with pytest.raises(DomainError, match=r"signin\.wrong"):
            await uc.sign_in(f"guess{n}@example.com", "wrong pass", "6.6.6.6")
    with pytest.raises(DomainError, match=r"signin\.too_many"):
        await uc.sign_in("olena@example.com", "correct horse", "6.6.6.6")


async def test_many_failures_slow_new_addresses_but_not_the_persons_own(uc, pauses) -> None:
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    await uc.sign_in("olena@example.com", "correct horse", "3.3.3.3")
    for n in range(12):  # spread over many addresses, none reaching its own limit
        with pytest.raises(DomainError, match=r"signin\.wrong"):
            await uc.sign_in("olena@example.com", "wrong pass", f"10.0.0.{n}")
    assert pauses.waited == [0.5, 1.0]  # the 11th and 12th waited
    assert (await uc.sign_in("olena@example.com", "correct horse", "3.3.3.3")).kind == RESIDENT
    assert pauses.waited == [0.5, 1.0]
    assert (await uc.sign_in("olena@example.com", "correct horse", "4.4.4.4")).kind == RESIDENT
    assert pauses.waited == [0.5, 1.0, 1.5]  # a new address waits, and still gets in


async def test_lockouts_age_on_real_time_while_the_business_clock_is_frozen(
    uc, clock, wall
) -> None:
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    for _ in range(5):
        with pytest.raises(DomainError, match=r"signin\.wrong"):
            await uc.sign_in("olena@example.com", "wrong pass", "1.1.1.1")
    frozen = clock.instant
    wall.instant += timedelta(minutes=16)
    assert (await uc.sign_in("olena@example.com", "correct horse", "1.1.1.1")).kind == RESIDENT
    assert clock.instant == frozen


async def test_nobody_elsewhere_can_lock_the_administrator_out(uc) -> None:
    system = Actor.system()
    await uc.add_staff(system, None, "admin@x", "А", StaffRole.ADMINISTRATOR, "password1")
    for address in ("6.6.6.6", "7.7.7.7"):
        for _ in range(5):
            with pytest.raises(DomainError, match=r"signin\.wrong"):
                await uc.sign_in_staff("admin@x", "guess", address)
        with pytest.raises(DomainError, match=r"signin\.too_many"):
            await uc.sign_in_staff("admin@x", "password1", address)
    assert (await uc.sign_in_staff("admin@x", "password1", "10.1.1.1")).kind == STAFF


def reset_mail(ticket: ResetTicket) -> OutgoingMessage:
    """What the web door words from a ticket (channels/web/auth.py ResetMessage)."""
    return OutgoingMessage(ticket.channel, ticket.recipient, "Reset", f"Open /{ticket.token}")


def queued(store: InMemoryStore) -> list[OutgoingMessage]:
    return [row.message for row in store.state.outbox.values()]


async def test_a_reset_token_is_issued_for_a_known_login_only(uc, store) -> None:
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    assert await uc.request_password_reset("nobody@example.com", reset_mail) is False
    assert store.state.one_time_tokens == {} and queued(store) == []
    assert await uc.request_password_reset("Olena@Example.com", reset_mail) is True
    (mail,) = queued(store)
    assert (mail.channel, mail.recipient) == ("email", "olena@example.com")
    token = mail.body.removeprefix("Open /")
    assert list(store.state.one_time_tokens) == [hash_token(token)]
    phone = await uc.sign_up("+380671234567", "correct horse", "Петро")
    assert await uc.request_password_reset("0671234567", reset_mail)
    assert phone.subject_id and queued(store)[-1].channel == "sms"


async def test_a_reset_message_goes_out_through_the_outbox_once(uc, sender, store) -> None:
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    assert await uc.request_password_reset("olena@example.com", reset_mail)
    assert sender.sent == []  # written by the transaction, sent after it
    done = await uc.deliver_outbox()
    again = await uc.deliver_outbox()
    assert (done.sent, again.sent) == (1, 0)
    (mail,) = sender.sent
    assert mail.recipient == "olena@example.com"
    (token_hash,) = store.state.one_time_tokens
    assert hash_token(mail.body.removeprefix("Open /")) == token_hash


async def test_a_reset_whose_message_cannot_be_queued_leaves_no_token(uc, store) -> None:
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    issued: list[ResetTicket] = []

    def recorded(ticket: ResetTicket) -> OutgoingMessage:
        issued.append(ticket)
        return reset_mail(ticket)

    store.outbox.fail = True
    with pytest.raises(ConnectionError):
        await uc.request_password_reset("olena@example.com", recorded)
    state = store.state
    assert (state.one_time_tokens, state.outbox, state.sign_in_attempts) == ({}, {}, [])
    with pytest.raises(DomainError, match=r"signin\.reset_invalid"):
        await uc.reset_password(issued[0].token, "a new password")
    store.outbox.fail = False
    assert await uc.request_password_reset("olena@example.com", reset_mail)


async def test_resets_are_limited_to_three_an_hour(uc, store) -> None:
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    asked = [await uc.request_password_reset("olena@example.com", reset_mail) for _ in range(5)]
    assert asked == [True, True, True, False, False]
    assert len(store.state.one_time_tokens) == len(queued(store)) == 3


async def test_a_failing_gateway_keeps_the_message(store, clock) -> None:
    broken = FakeSender(fail=True)
    uc = Wiring.wire(store, clock, passwords=FakePasswords(), senders={"email": broken})
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    assert await uc.request_password_reset("olena@example.com", reset_mail)
    assert (await uc.deliver_outbox()).retried == 1
    broken.fail = False
    assert (await uc.deliver_outbox()).sent == 0  # not before its retry time
    clock.instant += timedelta(minutes=1)
    assert (await uc.deliver_outbox()).sent == 1


async def test_a_session_expires_and_sign_out_ends_it(uc, clock) -> None:
    opened = await uc.sign_up("olena@example.com", "correct horse", "Олена")
    assert await uc.resolve_session(opened.token) is not None
    clock.instant += timedelta(days=14, seconds=1)
    assert await uc.resolve_session(opened.token) is None
    fresh = await uc.sign_in("olena@example.com", "correct horse")
    await uc.sign_out(fresh.token)
    assert await uc.resolve_session(fresh.token) is None


async def test_staff_scope_problems_are_refused_before_anything_is_stored(uc, store) -> None:
    system = Actor.system()
    with pytest.raises(DomainError) as refused:
        await uc.add_staff(system, None, "s@x", "С", StaffRole.SUPPLIER, "password1")
    assert refused.value.code == "staff.supplier_required"
    with pytest.raises(DomainError) as both:
        await uc.add_staff(
            system, None, "c@x", "К", StaffRole.CALL_CENTER, "password1", supplier_id=1
        )
    assert both.value.code == "staff.supplier_not_allowed"
    assert store.state.staff == {}
    member = await uc.add_staff(system, None, "C@X ", "К", StaffRole.CALL_CENTER, "password1")
    assert member.login == "c@x"
    session = await uc.sign_in_staff("c@x", "password1")
    viewer = await uc.resolve_session(session.token)
    assert viewer.staff == member


async def test_a_message_failing_every_time_is_given_up_after_the_last_attempt(
    store, clock
) -> None:
    policy = RetryPolicy(first_delay=timedelta(seconds=30), max_attempts=3)
    deliver = DeliverOutbox(
        store, store.outbox, {"email": FakeSender(fail=True)}, clock, policy=policy
    )
    async with store(write=True) as tx:
        await store.outbox.add(OutgoingMessage("email", "o@example.com", "s", "b"), clock.now())
        await tx.commit()
    rounds = []
    for wait in (0, 30, 60):  # the delay doubles
        clock.instant += timedelta(seconds=wait)
        rounds.append(await deliver())
    assert [(r.retried, r.failed) for r in rounds] == [(1, 0), (1, 0), (0, 1)]
    clock.instant += timedelta(days=1)
    assert (await deliver()).failed == 0
    assert policy.retry_at(clock.now(), 20) is None
    assert RetryPolicy().retry_at(clock.now(), 7) == clock.now() + timedelta(minutes=32)
    capped = RetryPolicy(max_attempts=30).retry_at(clock.now(), 25)
    assert capped == clock.now() + timedelta(hours=1)
