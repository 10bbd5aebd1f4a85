"""Reminders through Viber: ViberNoticeSender over real HTTP to the fake Viber API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from komunalka.adapters.throttle import InMemorySendThrottle, Rate
from komunalka.adapters.viber_notices import ViberNoticeSender
from komunalka.application.notifications.channels import Notice, Outcome
from tests.servers.fake_viber import FakeViber


@pytest.fixture
async def fake() -> AsyncIterator[FakeViber]:
    server = FakeViber(billing_status=5)
    await server.start()
    yield server
    await server.stop()


async def send(
    fake: FakeViber, notices: list[Notice], per_second: int = 500, token: str = ""
) -> list:
    headers = {"X-Viber-Auth-Token": token or fake.token}
    throttle = InMemorySendThrottle({"viber": Rate(per_second)})
    async with httpx.AsyncClient(base_url=fake.url, headers=headers, timeout=5) as client:
        return await ViberNoticeSender(client, fake.token, throttle).send(notices)


def notice(user: str, text: str = "Час передати показники") -> Notice:
    return Notice("viber", user, text, button="Передати", action="send")


async def test_one_notice_goes_by_send_message_with_its_button(fake: FakeViber) -> None:
    fake.unsubscribed.add("gone")
    fake.missing.add("nobody")
    results = await send(fake, [notice("u1", "a"), notice("gone", "b"), notice("nobody", "c")])
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.UNREACHABLE, Outcome.DROPPED]
    assert all(r.billing_status == 5 for r in results)
    button = fake.sent()[0]["keyboard"]["Buttons"][0]
    assert (button["ActionType"], button["ActionBody"], button["Text"]) == (
        "reply",
        "send",
        "Передати",
    )


async def test_a_notice_with_a_link_and_no_action_gets_a_button_that_opens_it(
    fake: FakeViber,
) -> None:
    # Leak notices (ADR 0025): the same text to two residents, each with their own link, goes
    # as two messages, never one broadcast with the first one's link.
    links = [Notice("viber", u, "Незвично", button="Так", link=f"https://k/ok/{u}") for u in "ab"]
    results = await send(fake, links)
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.SENT]
    assert not fake.sent("broadcast_message")
    buttons = {b["receiver"]: b["keyboard"]["Buttons"][0] for b in fake.sent()}
    assert {u: (b["ActionType"], b["ActionBody"]) for u, b in buttons.items()} == {
        "a": ("open-url", "https://k/ok/a"),
        "b": ("open-url", "https://k/ok/b"),
    }


async def test_notices_sharing_a_text_are_broadcast_300_at_most_a_call(fake: FakeViber) -> None:
    fake.unsubscribed.add("u5")
    fake.missing.add("u700")
    results = await send(fake, [notice(f"u{i}") for i in range(701)])
    sizes = sorted(len(body["broadcast_list"]) for body in fake.sent("broadcast_message"))
    assert sizes == [101, 300, 300]
    assert not fake.sent("send_message")
    assert results[5].outcome is Outcome.UNREACHABLE
    assert results[700].outcome is Outcome.DROPPED
    assert sum(r.outcome is Outcome.SENT for r in results) == 699
    assert all(r.billing_status == 5 for r in results)


async def test_a_server_error_or_no_server_is_retried_later(fake: FakeViber) -> None:
    fake.error_rate = 1.0
    assert [r.outcome for r in await send(fake, [notice("u1")])] == [Outcome.RETRY]
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=2) as client:
        throttle = InMemorySendThrottle()
        result = await ViberNoticeSender(client, "t", throttle).send([notice("u1")])
    assert result[0].outcome is Outcome.RETRY


async def test_a_wrong_token_fails_every_notice(fake: FakeViber) -> None:
    results = await send(fake, [notice("u1"), notice("u2")], token="another")
    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.FAILED]


async def test_calls_stay_within_the_throttle(fake: FakeViber) -> None:
    await send(fake, [notice(f"u{i}", f"text {i}") for i in range(30)], per_second=10)
    times = sorted(fake.times)
    assert max(sum(1 for t in times if s <= t < s + 1) for s in times) <= 10


async def test_the_services_viber_sender_marks_the_button_as_the_bots_own(fake: FakeViber) -> None:
    """Pressed, the reminder's button comes back as a text the Viber door takes for a button
    (its prefix), so it opens the sending round rather than being read as typed text."""
    from komunalka.bootstrap.container import notice_senders
    from komunalka.bootstrap.settings import Settings
    from komunalka.channels.viber.door import BUTTON

    settings = Settings(viber_token=fake.token, viber_api_url=fake.url)
    sender = notice_senders(settings)["viber"]
    (result,) = await sender.send([notice("u1")])
    assert result.outcome is Outcome.SENT
    assert fake.sent()[0]["keyboard"]["Buttons"][0]["ActionBody"] == BUTTON + "send"
