"""Messages to people and reminders: the outbox, residents' profiles, reminder rules, plans
and the reminders themselves."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from komunalka.adapters.db.tables.base import BigId, metadata
from komunalka.adapters.db.types import UtcDateTime

# Messages to people (e-mail, SMS), written in the transaction of the change that causes them
# and sent after it commits by whatever transport is configured.
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    # The lease (ADR 0012): "waiting" (claimable once `lease_until` is past, or unset),
    # "sending" (an attempt began; past its lease its fate is unknown), "sent", "failed" (given
    # up after the last attempt), "unknown" (never resent by itself).
    Column("state", String(10), nullable=False, server_default="waiting"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", String(100), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Index(
        "ix_outbox_claim",
        "state",
        "lease_until",
        "id",
        sqlite_where=text("state IN ('waiting', 'sending')"),
        postgresql_where=text("state IN ('waiting', 'sending')"),
    ),
)

# A resident's profile: the cabinet's language and how (and whether) to be reminded.
resident_profiles = Table(
    "resident_profiles",
    metadata,
    Column("resident_id", BigInteger, ForeignKey("residents.id"), primary_key=True),
    Column("language", String(5), nullable=False, server_default="uk"),
    # "none", "email", "sms", "telegram", "viber"
    Column("reminder_channel", String(20), nullable=False, server_default="none"),
    Column("reminder_consent_at", UtcDateTime(), nullable=True),
    Column("contact", String(254), nullable=False, server_default=""),
)

# A supplier's reminder rules that staff changed (a kind never changed is at its default).
reminder_rules = Table(
    "reminder_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("days", Integer, nullable=False, server_default="0"),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("paused", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint("supplier_id", "kind", name="uq_reminder_rules_supplier_kind"),
)

# Each planning of a rule (per period, or per day for the verification rules), once.
reminder_plans = Table(
    "reminder_plans",
    metadata,
    Column("rule_id", Integer, ForeignKey("reminder_rules.id"), primary_key=True),
    Column("run", String(10), primary_key=True),
    Column("planned_at", UtcDateTime(), nullable=False),
    Column("planned", Integer, nullable=False, server_default="0"),
)

# One row per resident, rule and period: the unit of "once" (ADR 0014). `send_at` is epoch
# seconds, so a set-based plan computes each resident's moment the same way on both databases.
reminders = Table(
    "reminders",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("rule_id", Integer, ForeignKey("reminder_rules.id"), nullable=False),
    Column("supplier_id", Integer, nullable=False),
    Column("period", Integer, nullable=False),
    Column("resident_id", BigInteger, ForeignKey("residents.id"), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("address", String(254), nullable=False),
    Column("language", String(5), nullable=False),
    Column("send_at", BigInteger, nullable=False),
    # planned, sending, sent, merged, skipped, cancelled, expired, unreachable, dropped,
    # failed, unknown (application/notifications/ports.py)
    Column("state", String(12), nullable=False, server_default="planned"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", String(100), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("detail", Text, nullable=False, server_default=""),
    Column("billing_status", Integer, nullable=True),
    Column("finished_at", UtcDateTime(), nullable=True),
    UniqueConstraint("resident_id", "rule_id", "period", name="uq_reminders_once"),
    Index("ix_reminders_supplier_period", "supplier_id", "period"),
    Index(
        "ix_reminders_claim",
        "send_at",
        sqlite_where=text("state IN ('planned', 'sending')"),
        postgresql_where=text("state IN ('planned', 'sending')"),
    ),
)
