"""Signing in and who did what: web logins and sessions, staff, tokens, attempts, the audit log."""

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
    text,
)

from komunalka.adapters.db.tables.base import BigId, metadata
from komunalka.adapters.db.types import UtcDateTime

# A resident's sign-in to the web cabinet: an e-mail or phone (normalized) and an argon2 hash.
web_logins = Table(
    "web_logins",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("resident_id", BigInteger, ForeignKey("residents.id"), nullable=False, index=True),
    Column("login", String(254), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

# Staff of the call center, the district service centers, the suppliers, and administrators.
staff = Table(
    "staff",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("login", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    # A district operator's district; a supplier user's supplier. Empty / NULL otherwise.
    Column("district", String(100), nullable=False, server_default=""),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=True),
    Column("password_hash", String(200), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UtcDateTime(), nullable=False),
)

# Signed-in browsers: only the token's SHA-256 is stored; a session ends at `expires_at`.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    # "resident" or "staff"
    Column("kind", String(10), nullable=False),
    Column("subject_id", BigInteger, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
    Index("ix_web_sessions_subject", "kind", "subject_id"),
)

# Sign-in attempts by key (``login:<login>``, ``ip:<address>``): failures are limited.
sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("key", String(300), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_sign_in_attempts_key", "key", "at"),
)

# One-time links (password reset): only the token's SHA-256 is stored; used once, then dead.
one_time_tokens = Table(
    "one_time_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("purpose", String(20), nullable=False),
    Column("subject_id", BigInteger, nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("resident_id", BigInteger, ForeignKey("residents.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(100), nullable=False, server_default=""),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

# Pull-access tokens of a supplier (`/api/v1/supplier/`): only the SHA-256 is stored.
supplier_tokens = Table(
    "supplier_tokens",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(100), nullable=False, server_default=""),
    Column("created_by", BigInteger, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

# On PostgreSQL partitioned by month of `at`, primary key (id, at) (migration 0023, ADR 0030).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor_kind", String(20), nullable=False),
    Column("actor_id", BigInteger, nullable=True),
    Column("on_behalf_of", BigInteger, nullable=True),
    Column("channel", String(20), nullable=False),
    Column("action", String(40), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("details", Text, nullable=False),
    Column("note", String(500), nullable=False, server_default=""),
    # The operator console reads an account's trail by subject (account, meters, submissions).
    Index("ix_audit_log_subject", "subject"),
)
