"""The outbox: messages written with a change go out after it commits, over real SMTP; a
failure keeps them for a later round, a success is never sent again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from komunalka.adapters.db.tables import outbox
from komunalka.adapters.mail import LogSender, SmtpSender
from komunalka.application.shared.ports import OutgoingMessage
from komunalka.bootstrap.wiring import Wiring
from komunalka.channels.web.auth import ResetMessage
from tests.channels.pages import PASSWORDS, free_port, settings_for
from tests.fakes import FakeClock, kyiv
from tests.servers.smtp import LocalSmtp


def wire(uow, senders, minute: int = 0):
    return Wiring.wire(
        uow,
        FakeClock(kyiv(2026, 11, 20, 12, minute)),
        passwords=PASSWORDS,
        senders=senders,
    )


async def reset(uc: Wiring, login: str) -> None:
    """A password reset as the web door asks for one: the token and its message, worded by the
    door, to the outbox."""
    web_url = settings_for("sqlite://").web_url
    assert await uc.request_password_reset(login, ResetMessage(web_url, "uk"))


async def unsent(engine) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(outbox.c.recipient).where(outbox.c.sent_at.is_(None)))
        return [r.recipient for r in rows]


async def test_a_reset_link_goes_out_by_smtp_once(uow, engine) -> None:
    with LocalSmtp() as smtp:
        uc = wire(uow, {"email": SmtpSender(smtp.url, "Komunalka <no-reply@test>")})
        await uc.sign_up("olena@example.com", "correct horse", "Олена")
        await reset(uc, "olena@example.com")
        assert await unsent(engine) == ["olena@example.com"]
        first = await uc.deliver_outbox()
        second = await uc.deliver_outbox()
    assert (first.sent, first.failed, second.sent) == (1, 0, 0)
    (mail,) = smtp.messages
    assert mail["To"] == "olena@example.com"
    assert mail["X-Envelope-To"] == "olena@example.com"
    assert mail["Subject"] == "Комуналка: новий пароль"
    assert "https://test/password/reset/" in mail.get_payload(decode=True).decode()
    assert await unsent(engine) == []


async def test_an_unreachable_server_keeps_the_message_for_later(uow, engine) -> None:
    dead = SmtpSender(f"smtp://127.0.0.1:{free_port()}", "x@test", timeout=2)
    uc = wire(uow, {"email": dead})
    await uc.sign_up("olena@example.com", "correct horse", "Олена")
    await reset(uc, "olena@example.com")
    failed = await uc.deliver_outbox()
    assert (failed.sent, failed.retried) == (0, 1)
    assert await unsent(engine) == ["olena@example.com"]
    with LocalSmtp() as smtp:
        later = wire(uow, {"email": SmtpSender(smtp.url, "x@test")}, minute=1)
        assert (await later.deliver_outbox()).sent == 1
    assert len(smtp.messages) == 1


async def test_a_message_without_a_sender_waits(uow, engine) -> None:
    uc = wire(uow, {"email": LogSender()})
    await uc.sign_up("+380671234567", "correct horse", "Олена")
    await reset(uc, "+380671234567")
    # only e-mail has a sender here: the SMS stays in the outbox, counted as not sent
    assert (await uc.deliver_outbox()).retried == 1
    assert await unsent(engine) == ["+380671234567"]


@pytest.mark.parametrize("url", ["http://x", "smtp://", "mail.example.com"])
def test_a_bad_smtp_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="KOMUNALKA_SMTP_URL"):
        SmtpSender(url, "x@test")


async def test_the_log_sender_writes_the_message(caplog) -> None:
    caplog.set_level("INFO", logger="komunalka.outbox")
    await LogSender().send(OutgoingMessage("sms", "+380671234567", "S", "code 1"))
    assert "+380671234567" in caplog.text
    assert "code 1" in caplog.text
