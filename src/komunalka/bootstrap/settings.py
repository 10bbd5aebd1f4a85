"""Settings from the environment (KOMUNALKA_*). The database URL may hold a password: it is
never logged or printed (`safe_database_url` masks it)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from komunalka.domain.windows import DEFAULT_TIMEZONE
from komunalka.i18n import DEFAULT_LANGUAGE, LANGUAGES


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KOMUNALKA_", extra="ignore")

    database_url: str = Field(default="sqlite+aiosqlite:///./komunalka.db", repr=False)
    # Freezes the clock at this instant (ISO 8601); a time without a zone is Kyiv time.
    now: datetime | None = None
    language: str = DEFAULT_LANGUAGE
    db_pool_size: int = Field(default=20, ge=1, le=200)
    # Dialog state of the messengers in Redis (production); in the database when unset.
    redis_url: str | None = Field(default=None, repr=False)
    # Telegram: the bot's token, the secret its webhook calls carry, and the Bot API's address.
    telegram_token: str | None = Field(default=None, repr=False)
    telegram_webhook_secret: str | None = Field(default=None, repr=False)
    telegram_api_url: str = "https://api.telegram.org"
    # The turn's last reply as the webhook's answer (no outbound call; Telegram does not say
    # whether it arrived, and a 429 on it cannot be waited out): off sends every reply through
    # the Bot API, with retries (docs/adr/0008-telegram-hot-path.md).
    telegram_answer_in_webhook: bool = True
    # How long a messenger's turn may run before a redelivery of its update takes it over, in
    # seconds: a turn cut off by a crash is carried out again after it (ADR 0015).
    chat_turn_lease: float = Field(default=60.0, gt=0)
    # Viber: the bot's token (it also signs Viber's callbacks) and the API's address.
    viber_token: str | None = Field(default=None, repr=False)
    viber_api_url: str = "https://chatapi.viber.com"
    # Named in the bots' help: the other ways to send readings.
    web_url: str = "http://127.0.0.1:8000"
    call_center: str = "1551"
    # Cookies of the web pages carry Secure (browsers keep them on https and on localhost).
    cookie_secure: bool = True
    # E-mail (password reset links): an SMTP server, smtp://user:password@host:port or smtps://;
    # unset: messages are written to the service's log (a local run).
    smtp_url: str | None = Field(default=None, repr=False)
    mail_from: str = "Komunalka <no-reply@komunalka.local>"
    # How often the outbox is sent, in seconds (whole seconds, at least one: the job queue's
    # schedule counts in seconds).
    outbox_interval: float = Field(default=5.0, gt=0)
    # Suppliers' webhooks (ADR 0017): seconds an attempt may take in all, items a batch, and how
    # often the worker sends (whole seconds, at least one).
    webhook_timeout: float = Field(default=10.0, gt=0, le=120)
    webhook_batch: int = Field(default=500, ge=1, le=10_000)
    webhook_interval: float = Field(default=5.0, gt=0)
    # Lets suppliers' webhooks reach loopback, private and link-local addresses (a receiver on
    # this machine or the internal network: development, tests, a supplier over a VPN). Off, such
    # an address is refused when set and, resolved, again when sent (no requests to the
    # service's own network on a supplier's say-so).
    webhook_private_addresses: bool = False
    # Signs links that act without signing in (turning reminders off from an e-mail); at least
    # 16 characters, the same in every process. Unset: a random key kept in ./.komunalka-secret
    # (the embedded default; set it in production).
    secret_key: str | None = Field(default=None, repr=False, min_length=16)
    # Receipts' Ed25519 keys (docs/adr/0023): the active private key, PEM (made on first use when
    # missing: set the same file in every process), and the retired public keys, PEM one after
    # another (`komunalka rotate-receipt-key` moves the active key there).
    receipt_key_file: str = ".komunalka-receipt-key.pem"
    receipt_retired_keys_file: str = ".komunalka-receipt-keys-retired.pem"
    # Reminders go out only between these hours, Europe/Kyiv.
    quiet_hours: str = "09:00-20:00"
    # Outbound messages (the outbox, reminders): how long a worker's claim lasts, in seconds
    # (a worker killed mid-send leaves its messages to others after it), and how many reminders
    # a round claims.
    send_lease: float = Field(default=120.0, ge=1)
    send_batch: int = Field(default=100, ge=1, le=10_000)
    # Reminders: messages a second on the Telegram bot's token (Telegram allows about 30), shared
    # by every process through Redis when KOMUNALKA_REDIS_URL is set.
    telegram_rate: int = Field(default=25, ge=1, le=30)
    # SMS reminders: an HTTP gateway taking POST {"to", "text"} with this Bearer token; unset:
    # SMS are written to the service's log (a local run).
    sms_url: str | None = None
    sms_token: str | None = Field(default=None, repr=False)
    # Messages a second the SMS gateway takes (its contract's rate), shared by every process
    # through Redis when KOMUNALKA_REDIS_URL is set; a 429 pauses them all for its Retry-After.
    sms_rate: int = Field(default=10, ge=1, le=1000)
    # Messages a second the SMTP server takes (the relay's limit), shared by every process
    # through Redis when KOMUNALKA_REDIS_URL is set; a 421 pauses them all for a minute.
    email_rate: int = Field(default=10, ge=1, le=1000)
    # The SMS door (ADR 0026): the gateway's inbound callbacks at /webhooks/sms are signed with
    # this secret (hex HMAC-SHA256 of the body in X-Sms-Signature); unset: no SMS door.
    sms_secret: str | None = Field(default=None, repr=False, min_length=16)
    # `serve` runs the periodic jobs (the outbox, reminders) in its own process; off when
    # separate `komunalka worker` processes run them (production, docs/adr/0013).
    jobs_in_process: bool = True
    # The installation's names in Redis start with this: the job queue (its stream, consumers and
    # schedule turns), the bots' dialogs and the updates they saw, the revoked tokens' count. Two
    # installations on one Redis need two names. (The messengers' throttles are keyed by the
    # bot's token instead: installations sharing a bot share its limit.)
    jobs_queue: str = "komunalka"
    # The web doors run behind a proxy that appends the client's address to X-Forwarded-For:
    # sign-in limits count that address. Off: the connection's own address (a proxy's, if any).
    trust_forwarded_for: bool = False
    # web cabinet: the bot's username; the sign-in page shows Telegram's Login Widget when set.
    telegram_bot_name: str | None = None
    # Bounds on what a request may hold or take (README: "What the service bounds, and what
    # the proxy adds"). Bodies, in bytes: the REST API's, the messengers' webhooks', the portal's
    # registry upload (a million rows are about 150 MB; the file itself is refused above
    # 300 MiB) and every other route's (the pages' forms). A larger Content-Length is refused
    # at once (413); a chunked body is cut when it passes the bound.
    body_limit_api: int = Field(default=16 * 1024, ge=1024)
    body_limit_webhooks: int = Field(default=1024 * 1024, ge=1024)
    body_limit_upload: int = Field(default=301 * 1024 * 1024, ge=1024)
    body_limit_default: int = Field(default=256 * 1024, ge=1024)
    # A meter's photo uploaded in the cabinet (the photo itself is refused above 10 MB).
    body_limit_photo: int = Field(default=11 * 1024 * 1024, ge=1024)
    # A request's head (request line and headers), in bytes (431 above it), and the seconds it
    # may take to arrive; the seconds an idle keep-alive connection is kept.
    header_limit: int = Field(default=16 * 1024, ge=1024)
    header_timeout: float = Field(default=10.0, gt=0)
    keep_alive_timeout: int = Field(default=5, ge=1)
    # Logs as `text` (a terminal) or `json` (one object a line, for a collector); either way with
    # the request id and no personal data (docs/adr/0029).
    log_format: Literal["text", "json"] = "text"
    # /metrics (Prometheus) is served only with this Bearer token; unset: 404. A worker serves
    # its metrics on KOMUNALKA_METRICS_HOST:KOMUNALKA_METRICS_PORT when the port is set (an
    # internal address: that listener has no token).
    metrics_token: str | None = Field(default=None, repr=False, min_length=16)
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # The clean-up job (every 10 minutes): days kept of messengers' update ids, of sign-in and
    # account-link attempts, of messages sent (or failed); days after which a registry import
    # still running is abandoned and its staged rows deleted.
    keep_deliveries_days: float = Field(default=7, ge=2)
    keep_attempts_days: float = Field(default=30, ge=2)
    keep_outbox_days: float = Field(default=90, ge=1)
    abandon_imports_after_days: float = Field(default=3, ge=1)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        url = make_url(value)
        driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
        if url.drivername in driver:
            url = url.set(drivername=driver[url.drivername])
        return url.render_as_string(hide_password=False)

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=ZoneInfo(DEFAULT_TIMEZONE))
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        return value if value in LANGUAGES else DEFAULT_LANGUAGE

    @property
    def safe_database_url(self) -> str:
        return make_url(self.database_url).render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"
