"""The composition root: settings → engine → unit of work → use cases."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.chart_cache import CachedCharts
from komunalka.adapters.charts import MatplotlibCharts
from komunalka.adapters.clock import FrozenClock, SystemClock
from komunalka.adapters.db.dialogs import SqlDialogStateStore
from komunalka.adapters.db.engine import create_engine
from komunalka.adapters.db.storage import SqlStorage
from komunalka.application.notifications.deliver_outbox import RetryPolicy
from komunalka.application.notifications.ports import MessageSender
from komunalka.application.readings.receipt_ports import ReceiptSigner
from komunalka.application.shared.ports import ChartRenderer, Clock, DialogStateStore, LinkSigner
from komunalka.application.suppliers.deliver_webhooks import WebhookPolicy
from komunalka.application.suppliers.feed_ports import WebhookSender
from komunalka.application.system.clean_up import Retention
from komunalka.bootstrap.feature_wiring import Guards
from komunalka.bootstrap.settings import Settings
from komunalka.bootstrap.wiring import Wiring
from komunalka.domain.reminders import QuietHours
from komunalka.domain.services import Channel

if TYPE_CHECKING:
    import httpx

    from komunalka.application.notifications.channels import NoticeSender, SendThrottle
    from komunalka.channels.telegram.bot_api import BotApi
    from komunalka.chat.conversation import Conversation
    from komunalka.chat.use_cases import ChatUseCases


@dataclass(frozen=True, slots=True)
class Container:
    settings: Settings
    engine: AsyncEngine
    use_cases: Wiring
    # One picture cache for the process: the bot and the cabinet draw a chart once between them.
    charts: ChartRenderer = field(default_factory=lambda: CachedCharts(MatplotlibCharts()))


def make_clock(settings: Settings) -> Clock:
    return FrozenClock(settings.now) if settings.now else SystemClock()


def dialog_store(settings: Settings, engine: AsyncEngine) -> DialogStateStore:
    """Redis when KOMUNALKA_REDIS_URL is set, the database otherwise."""
    if settings.redis_url:
        from redis.asyncio import Redis

        from komunalka.adapters.redis_dialogs import RedisDialogStateStore

        lease_ms = int(settings.chat_turn_lease * 1000)
        return RedisDialogStateStore(
            Redis.from_url(settings.redis_url),
            prefix=f"{settings.jobs_queue}:dialog",
            lease_ms=lease_ms,
        )
    return SqlDialogStateStore(engine, lease=timedelta(seconds=settings.chat_turn_lease))


def guards(settings: Settings) -> Guards:
    """Real time for the limits and caches; revoked tokens counted in Redis when
    KOMUNALKA_REDIS_URL is set (every process sees a revocation at once), else in the process."""
    if settings.redis_url:
        from redis.asyncio import Redis

        from komunalka.adapters.revocations import RedisRevocations

        key = f"{settings.jobs_queue}:token-revocations"
        return Guards(revocations=RedisRevocations(Redis.from_url(settings.redis_url), key))
    return Guards()


def senders(
    settings: Settings, notices: Mapping[str, NoticeSender] | None = None
) -> dict[str, MessageSender]:
    """E-mail over SMTP when KOMUNALKA_SMTP_URL is set, else to the log; SMS through the gateway
    at KOMUNALKA_SMS_URL (the reminders' one: the SMS door's answers, phone codes), else to the
    log; Telegram and Viber through the reminders' senders of `notices` (account notices go to
    residents' messengers)."""
    import httpx

    from komunalka.adapters.mail import LogSender, SmtpNoticeSender, SmtpSender
    from komunalka.adapters.messenger_messages import MessengerMessageSender
    from komunalka.adapters.sms import HttpSmsGateway, SmsMessageSender

    email: MessageSender = LogSender()
    if settings.smtp_url:
        mail = (notices or {}).get("email")  # one server, one throttle, for both
        throttle = mail.throttle if isinstance(mail, SmtpNoticeSender) else None
        email = SmtpSender(settings.smtp_url, settings.mail_from, throttle=throttle)
    sms: MessageSender = LogSender()
    gateway = (notices or {}).get("sms")
    if isinstance(gateway, HttpSmsGateway):  # one gateway, one throttle, for both
        sms = SmsMessageSender(gateway)
    elif settings.sms_url:
        client = httpx.AsyncClient(timeout=10)
        sms = SmsMessageSender(HttpSmsGateway(client, settings.sms_url, settings.sms_token))
    found: dict[str, MessageSender] = {"email": email, "sms": sms}
    for messenger in ("telegram", "viber"):
        if notices and messenger in notices:
            found[messenger] = MessengerMessageSender(notices[messenger])
    return found


def link_signer(settings: Settings) -> LinkSigner:
    """KOMUNALKA_SECRET_KEY, or a random key made once and kept in ./.komunalka-secret."""
    from komunalka.adapters.signing import ItsDangerousSigner

    secret = settings.secret_key
    if secret is None:
        kept = Path(".komunalka-secret")
        if not kept.exists():
            kept.touch(mode=0o600)
            kept.write_text(secrets.token_urlsafe(32))
        secret = kept.read_text().strip()
    return ItsDangerousSigner(secret)


def receipt_keys(settings: Settings) -> ReceiptSigner:
    """The keys in KOMUNALKA_RECEIPT_KEY_FILE and KOMUNALKA_RECEIPT_RETIRED_KEYS_FILE."""
    from komunalka.adapters.receipt_keys import Ed25519ReceiptKeys

    active, retired = Path(settings.receipt_key_file), Path(settings.receipt_retired_keys_file)
    return Ed25519ReceiptKeys.from_files(active, retired)


def send_throttle(settings: Settings) -> SendThrottle:
    """Shared by every process in Redis when KOMUNALKA_REDIS_URL is set, in memory otherwise."""
    from komunalka.adapters.throttle import InMemorySendThrottle, RedisSendThrottle, default_rates

    rates = default_rates(settings.telegram_rate, settings.sms_rate, settings.email_rate)
    if settings.redis_url:
        from redis.asyncio import Redis

        return RedisSendThrottle(Redis.from_url(settings.redis_url), rates)
    return InMemorySendThrottle(rates)


def notice_senders(
    settings: Settings, throttle: SendThrottle | None = None
) -> dict[str, NoticeSender]:
    """The reminders' senders by channel: Telegram and Viber when their tokens are set (else the
    log), e-mail
    over SMTP (else the log), SMS through KOMUNALKA_SMS_URL (else the log). Their HTTP clients
    live as long as the process."""
    import httpx

    from komunalka.adapters.mail import LogNoticeSender, SmtpNoticeSender
    from komunalka.adapters.sms import HttpSmsGateway

    throttle = throttle or send_throttle(settings)
    senders: dict[str, NoticeSender] = {
        "email": SmtpNoticeSender(settings.smtp_url, settings.mail_from, throttle=throttle)
        if settings.smtp_url
        else LogNoticeSender(),
        "sms": HttpSmsGateway(
            httpx.AsyncClient(timeout=10), settings.sms_url, settings.sms_token, throttle
        )
        if settings.sms_url
        else LogNoticeSender(),
    }
    # A messenger without its token (a local run): its reminders are written to the log.
    senders["telegram"] = senders["viber"] = LogNoticeSender()
    if settings.telegram_token:
        from komunalka.adapters.telegram_notices import TelegramNoticeSender

        client = httpx.AsyncClient(base_url=settings.telegram_api_url.rstrip("/"), timeout=10)
        senders["telegram"] = TelegramNoticeSender(client, settings.telegram_token, throttle)
    if settings.viber_token:
        from komunalka.adapters.viber_notices import ViberNoticeSender
        from komunalka.channels.viber.door import BUTTON

        senders["viber"] = ViberNoticeSender(
            viber_client(settings), settings.viber_token, throttle, action_prefix=BUTTON
        )
    return senders


def build(settings: Settings) -> Container:
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    from komunalka.adapters.meter_ocr import make_meter_reader
    from komunalka.adapters.passwords import Argon2Passwords
    from komunalka.adapters.spreadsheets import OpenpyxlSpreadsheets

    notices = notice_senders(settings)
    use_cases = Wiring.wire(
        SqlStorage(engine),
        make_clock(settings),
        passwords=Argon2Passwords(),
        senders=senders(settings, notices),
        dialogs=dialog_store(settings, engine),
        spreadsheets=OpenpyxlSpreadsheets(),  # supplier portal (door: supplier)
        notices=notices,
        signer=link_signer(settings),
        web_url=settings.web_url,
        quiet=QuietHours.parse(settings.quiet_hours),
        policy=RetryPolicy(lease=timedelta(seconds=settings.send_lease)),
        send_batch=settings.send_batch,
        guards=guards(settings),
        webhooks=webhook_sender(settings),
        private_webhooks=settings.webhook_private_addresses,
        receipt_keys=receipt_keys(settings),
        webhook_policy=WebhookPolicy(
            batch_size=settings.webhook_batch,
            lease=timedelta(seconds=max(settings.send_lease, settings.webhook_timeout * 3)),
        ),
        retention=retention(settings),
        meter_reader=make_meter_reader(),  # the ocr extra's, when installed (ADR 0027)
    )
    return Container(settings, engine, use_cases)


def retention(settings: Settings) -> Retention:
    """How long the clean-up keeps what only grows (application/system/clean_up.py)."""
    return Retention(
        deliveries=timedelta(days=settings.keep_deliveries_days),
        attempts=timedelta(days=settings.keep_attempts_days),
        outbox=timedelta(days=settings.keep_outbox_days),
        import_idle=timedelta(days=settings.abandon_imports_after_days),
    )


def webhook_sender(settings: Settings) -> WebhookSender:
    """Suppliers' webhooks, through one HTTP client that lives as long as the process."""
    from komunalka.adapters.webhooks import HttpWebhookSender

    return HttpWebhookSender(
        timeout=settings.webhook_timeout, private_addresses=settings.webhook_private_addresses
    )


@asynccontextmanager
async def running(settings: Settings | None = None) -> AsyncIterator[Container]:
    container = build(settings or Settings())
    try:
        yield container
    finally:
        await container.engine.dispose()


def conversation(container: Container, channel: Channel) -> Conversation:
    """The shared conversation as a messenger door runs it."""
    from komunalka.chat.conversation import Conversation
    from komunalka.chat.model import Contacts

    settings = container.settings
    return Conversation(
        chat_use_cases(container.use_cases),
        dialog_store(settings, container.engine),
        channel,
        Contacts(settings.web_url, settings.call_center),
        container.charts,
    )


def chat_use_cases(use_cases: Wiring) -> ChatUseCases:
    """The chat's set, taken from the wired use cases."""
    from komunalka.chat.use_cases import ChatUseCases

    return use_cases.door(ChatUseCases)


def telegram_bot(settings: Settings) -> BotApi:
    """The Bot API client, at KOMUNALKA_TELEGRAM_API_URL (a fake server in tests)."""
    import httpx

    from komunalka.channels.telegram.bot_api import BotApi

    assert settings.telegram_token
    base = settings.telegram_api_url.rstrip("/")
    return BotApi(httpx.AsyncClient(base_url=base, timeout=60), settings.telegram_token)


def viber_client(settings: Settings) -> httpx.AsyncClient:
    """The Viber API client, at KOMUNALKA_VIBER_API_URL (a fake server in tests)."""
    import httpx

    assert settings.viber_token
    headers = {"X-Viber-Auth-Token": settings.viber_token}
    return httpx.AsyncClient(base_url=settings.viber_api_url, headers=headers, timeout=10)
