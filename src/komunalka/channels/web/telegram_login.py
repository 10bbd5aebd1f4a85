"""Telegram's Login Widget, the web door's protocol: the fields the widget posts are checked
here (signed with the bot's token, less than a day old) before a use case hears of the user."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta

from komunalka.application.identity.sign_in_with_telegram import TelegramUser
from komunalka.domain.errors import DomainError
from komunalka.domain.ids import is_ascii_number

TELEGRAM_LOGIN_LIFETIME = timedelta(days=1)


def telegram_login_valid(fields: Mapping[str, str], bot_token: str) -> bool:
    """The Login Widget's check: `hash` is the HMAC-SHA256 of the other fields, sorted as
    ``key=value`` lines, keyed with SHA-256 of the bot's token."""
    given = fields.get("hash", "")
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    key = hashlib.sha256(bot_token.encode()).digest()
    expected = hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
    return bool(given) and hmac.compare_digest(expected, given.lower())


def verified_telegram_user(
    fields: Mapping[str, str], bot_token: str | None, now: datetime
) -> TelegramUser:
    """The Telegram user the Login Widget vouches for; refuses forged or stale fields
    (``signin.telegram_invalid``, ``signin.telegram_expired``)."""
    if not bot_token or not telegram_login_valid(fields, bot_token):
        raise DomainError.of("signin.telegram_invalid")
    try:
        signed_at = int(fields.get("auth_date", ""))
    except ValueError as exc:
        raise DomainError.of("signin.telegram_invalid") from exc
    if now.timestamp() - signed_at > TELEGRAM_LOGIN_LIFETIME.total_seconds():
        raise DomainError.of("signin.telegram_expired")
    user_id = fields.get("id", "")
    if not is_ascii_number(user_id) or len(user_id) > 20:
        raise DomainError.of("signin.telegram_invalid")
    name = " ".join(filter(None, (fields.get("first_name"), fields.get("last_name"))))
    return TelegramUser(user_id, name)
