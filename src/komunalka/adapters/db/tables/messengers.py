"""The messenger doors: identities, where each conversation stands, updates delivered once,
media, and the SMS door's phones and inbound messages."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    text,
)

from komunalka.adapters.db.tables.base import metadata
from komunalka.adapters.db.types import UtcDateTime

# A resident's identities in the messengers (and the terminal): who writes, in which language.
identities = Table(
    "identities",
    metadata,
    Column("channel", String(20), primary_key=True),
    Column("external_id", String(64), primary_key=True),
    Column("resident_id", BigInteger, ForeignKey("residents.id"), nullable=False, index=True),
    Column("language", String(5), nullable=False, server_default="uk"),
    Column("reminders", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UtcDateTime(), nullable=False),
    # The messenger said the resident blocked the bot (or unsubscribed): no reminders until
    # the resident writes again.
    Column("unreachable_at", UtcDateTime(), nullable=True),
)

# Where each conversation stands (JSON), by channel and user.
dialog_states = Table(
    "dialog_states",
    metadata,
    Column("channel", String(20), primary_key=True),
    Column("external_id", String(64), primary_key=True),
    Column("state", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Pictures the app serves by an unguessable name (charts sent to Viber as URLs); kept a day.
media = Table(
    "media",
    metadata,
    Column("token", String(43), primary_key=True),
    Column("content", LargeBinary, nullable=False),
    Column("content_type", String(40), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, index=True),
)

# Updates a messenger delivered, by its own id: the same update twice has one effect. A turn
# under way holds a lease (`lease_until`); a finished one has none (ADR 0015).
deliveries = Table(
    "deliveries",
    metadata,
    Column("channel", String(20), primary_key=True),
    Column("delivery_id", String(64), primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("lease_until", UtcDateTime(), nullable=True),
)

# The SMS door (ADR 0026): phone numbers linked to residents (one resident a number), proven by
# a one-time code sent to the number (its SHA-256 kept, with its expiry and attempts left) ...
phone_links = Table(
    "phone_links",
    metadata,
    Column("phone", String(16), primary_key=True),
    Column("resident_id", BigInteger, ForeignKey("residents.id"), nullable=False, index=True),
    Column("linked_at", UtcDateTime(), nullable=False),
)
phone_codes = Table(
    "phone_codes",
    metadata,
    Column("resident_id", BigInteger, ForeignKey("residents.id"), primary_key=True),
    Column("phone", String(16), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("attempts_left", Integer, nullable=False),
)

# ... and the gateway's id of every inbound message answered: a retried callback is answered once.
sms_inbound = Table(
    "sms_inbound",
    metadata,
    Column("gateway_id", String(100), primary_key=True),
    Column("phone", String(16), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
)
