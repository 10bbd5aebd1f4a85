"""Reminders by e-mail (a real SMTP server on 127.0.0.1) and by SMS (the fake HTTP gateway)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from komunalka.adapters.mail import LogNoticeSender, SmtpNoticeSender, SmtpSender
from komunalka.adapters.sms import HttpSmsGateway
from komunalka.adapters.throttle import InMemorySendThrottle, default_rates
from komunalka.application.notifications.channels import Notice, Outcome, SendThrottle
from komunalka.application.shared.ports import OutgoingMessage
from tests.servers.fake_sms import FakeSms
from tests.servers.smtp import LocalSmtp

LINK = "https://komunalka.example/r/abc"


def email(address: str, unsubscribe: str = "") -> Notice:
    return Notice(
        "email",
        address,
        "Час передати показники",
        subject="Показники",
        link=LINK,
        unsubscribe_url=unsubscribe,
    )


async def test_an_email_carries_its_link_and_one_click_unsubscribe_headers() -> None:
    with LocalSmtp() as smtp:
        sender = SmtpNoticeSender(smtp.url, "Komunalka <no-reply@k.local>")
        results = await sender.send([email("a@k.local", "https://komunalka.example/u/1")])
    assert results[0].outcome is Outcome.SENT
    message = smtp.messages[0]
    assert message["List-Unsubscribe"] == "<https://komunalka.example/u/1>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert LINK in message.get_content()
    assert message["Subject"] == "Показники"


async def test_bounces_and_refusals_of_recipients_map_to_outcomes() -> None:
    with LocalSmtp() as smtp:
        smtp.refuse["gone@k.local"] = "550 5.1.1 no such user"
        smtp.refuse["busy@k.local"] = "451 4.3.0 try later"
        sender = SmtpNoticeSender(smtp.url, "no-reply@k.local")
        results = await sender.send(
            [email("gone@k.local"), email("busy@k.local"), email("fine@k.local")]
        )
    outcomes = [r.outcome for r in results]
    assert outcomes == [Outcome.UNREACHABLE, Outcome.RETRY, Outcome.SENT]
    assert "List-Unsubscribe" not in smtp.messages[0]
    assert len(smtp.messages) == 1


async def test_emails_keep_to_the_servers_rate() -> None:
    throttle = InMemorySendThrottle(default_rates(email=4))
    with LocalSmtp() as smtp:
        sender = SmtpNoticeSender(smtp.url, "no-reply@k.local", throttle=throttle)
        results = await sender.send([email(f"r{n}@k.local") for n in range(10)])
    assert [r.outcome for r in results] == [Outcome.SENT] * 10
    times = smtp.arrivals
    assert max(sum(1 for t in times if s <= t < s + 1.0) for s in times) <= 4


async def test_a_421_holds_the_rest_of_the_batch_and_every_other_sender_on_the_server() -> None:
    throttle = InMemorySendThrottle(default_rates(email=100))
    with LocalSmtp() as smtp:
        smtp.refuse["busy@k.local"] = "421 4.7.0 try again later"
        reminders = SmtpNoticeSender(smtp.url, "no-reply@k.local", throttle=throttle, pause=1.0)
        results = await reminders.send(
            [email("a@k.local"), email("busy@k.local"), email("b@k.local"), email("c@k.local")]
        )
        # The outbox's sender on the same server waits out the pause too.
        outbox = SmtpSender(smtp.url, "no-reply@k.local", throttle=throttle)
        assert outbox.throttle_key == reminders.throttle_key
        start = time.monotonic()
        await outbox.send(OutgoingMessage("email", "reset@k.local", "Пароль", "Посилання"))
        waited = time.monotonic() - start
    assert [r.outcome for r in results] == [Outcome.SENT] + [Outcome.RETRY] * 3
    assert "421" in results[1].detail and "421" in results[2].detail
    assert [m["X-Envelope-To"] for m in smtp.messages] == ["a@k.local", "reset@k.local"]
    assert waited >= 0.9


async def test_no_smtp_server_means_retry_later() -> None:
    results = await SmtpNoticeSender("smtp://127.0.0.1:9", "x@k.local").send([email("a@k.local")])
    assert results[0].outcome is Outcome.RETRY


@pytest.fixture
async def gateway() -> AsyncIterator[FakeSms]:
    server = FakeSms()
    await server.start()
    yield server
    await server.stop()


async def sms(
    gateway: FakeSms, phones: list[str], token: str = "", throttle: SendThrottle | None = None
) -> list:
    async with httpx.AsyncClient(timeout=5) as client:
        sender = HttpSmsGateway(client, f"{gateway.url}/send", token or gateway.token, throttle)
        return await sender.send(
            [Notice("sms", p, "Час передати показники", link=LINK) for p in phones]
        )


async def test_an_sms_goes_to_the_gateway_with_its_link(gateway: FakeSms) -> None:
    results = await sms(gateway, ["+380501112233"])
    assert results[0].outcome is Outcome.SENT
    assert gateway.messages == [{"to": "+380501112233", "text": f"Час передати показники {LINK}"}]


async def test_answers_of_the_sms_gateway_map_to_outcomes(gateway: FakeSms) -> None:
    gateway.invalid.add("+380000")
    gateway.fail_next(503)
    gateway.fail_next(429)
    gateway.fail_next(402)
    results = await sms(gateway, ["+1", "+2", "+3", "+380000"])
    outcomes = [r.outcome for r in results]
    assert outcomes == [Outcome.RETRY, Outcome.RETRY, Outcome.FAILED, Outcome.DROPPED]
    assert (await sms(gateway, ["+4"], token="wrong"))[0].outcome is Outcome.FAILED


async def test_a_429_from_the_sms_gateway_holds_the_rest_of_the_round(gateway: FakeSms) -> None:
    gateway.retry_after = 1
    gateway.fail_next(429)
    throttle = InMemorySendThrottle(default_rates(sms=100))
    results = await sms(gateway, ["+1", "+2", "+3"], throttle=throttle)
    assert [r.outcome for r in results] == [Outcome.RETRY, Outcome.SENT, Outcome.SENT]
    assert results[0].retry_after == 1
    assert gateway.arrivals[1] - gateway.arrivals[0] >= 0.95  # the others waited the pause


async def test_sms_keep_to_the_gateways_rate(gateway: FakeSms) -> None:
    throttle = InMemorySendThrottle(default_rates(sms=4))
    results = await sms(gateway, [f"+{n}" for n in range(10)], throttle=throttle)
    assert all(r.outcome is Outcome.SENT for r in results)
    times = gateway.arrivals
    assert max(sum(1 for t in times if s <= t < s + 1.0) for s in times) <= 4


async def test_without_a_gateway_notices_go_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", "komunalka.outbox")
    results = await LogNoticeSender().send([Notice("sms", "+380501112233", "Текст", link=LINK)])
    assert results[0].outcome is Outcome.SENT
    assert LINK in caplog.text


def test_the_outbox_and_the_reminders_share_one_throttle_per_server() -> None:
    from komunalka.bootstrap.container import notice_senders, senders
    from komunalka.bootstrap.settings import Settings

    settings = Settings(
        smtp_url="smtp://127.0.0.1:2525", sms_url="http://127.0.0.1:9/send", email_rate=3
    )
    notices = notice_senders(settings)
    wired = senders(settings, notices)
    mail, outbox = notices["email"], wired["email"]
    assert isinstance(mail, SmtpNoticeSender) and isinstance(outbox, SmtpSender)
    assert outbox.throttle is mail.throttle is not None
    assert outbox.throttle_key == mail.throttle_key
    assert isinstance(mail.throttle, InMemorySendThrottle)
    assert mail.throttle._rates["email"] == default_rates(email=3)["email"]


@pytest.mark.parametrize("typed", ["0", "-3", "abc", "1001", ""])
def test_a_bad_email_rate_is_refused_at_start_naming_the_setting(
    typed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import ValidationError

    from komunalka.bootstrap.settings import Settings

    monkeypatch.setenv("KOMUNALKA_EMAIL_RATE", typed)
    with pytest.raises(ValidationError, match="email_rate"):
        Settings()
