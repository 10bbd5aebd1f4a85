"""Suppliers, their accounts and meters, residents and who may send for which account; tariffs."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)

from komunalka.adapters.db.tables.base import BigId, metadata
from komunalka.adapters.db.types import UtcDateTime

suppliers = Table(
    "suppliers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("window_rule", String(100), nullable=False),
    Column("account_pattern", String(200), nullable=False),
    Column("services", String(200), nullable=False),
    # The format of the period's file written when a window closes: csv, xlsx or json.
    Column("file_format", String(8), nullable=False, server_default="csv"),
    # Days a meter photo is kept as evidence (ADR 0027); the worker deletes older ones.
    Column("photo_retention_days", Integer, nullable=False, server_default="730"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("number", String(32), nullable=False),
    Column("holder", String(300), nullable=False),
    Column("address", String(300), nullable=False),
    Column("district", String(100), nullable=False, server_default=""),
    UniqueConstraint("supplier_id", "number", name="uq_accounts_supplier_number"),
)

meters = Table(
    "meters",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("account_id", BigInteger, ForeignKey("accounts.id"), nullable=False, index=True),
    # The account's number, copied with account_id (only the registry import writes either), so
    # a supplier's export reads readings and meters without joining a million accounts.
    Column("account_number", String(32), nullable=False, server_default=""),
    # The account's supplier, copied here so a serial is unique per supplier; no foreign key of
    # its own (the account's already points at the supplier, and a second check per row halves
    # the speed of a registry import).
    Column("supplier_id", Integer, nullable=False),
    Column("service", String(20), nullable=False),
    Column("serial", String(40), nullable=False),
    Column("registers", String(60), nullable=False),
    Column("digits", Integer, nullable=False),
    Column("decimals", Integer, nullable=False),
    Column("verification_due", Date, nullable=True),
    Column("status", String(20), nullable=False),
    # A hot-water meter whose owners heat water themselves (a "boiler"): reminded every month,
    # even when nothing changed (from the registry, or set by the resident).
    Column("water_heater", Boolean, nullable=False, server_default=text("false")),
    # The registry import that last listed the meter: tells a repeated line within one import.
    Column("registry_import_id", BigInteger, nullable=True),
    # Moves on with every submission to the meter (and every registry change of it): a
    # submission judged against one revision is written only while the meter is still at it.
    Column("revision", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("supplier_id", "serial", name="uq_meters_supplier_serial"),
)

residents = Table(
    "residents",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

account_links = Table(
    "account_links",
    metadata,
    Column("resident_id", BigInteger, ForeignKey("residents.id"), primary_key=True),
    Column("account_id", BigInteger, ForeignKey("accounts.id"), primary_key=True, index=True),
    Column("proof", String(20), nullable=False),
    Column("linked_at", UtcDateTime(), nullable=False),
)

# A caretaker (a relative) sends readings on a resident's behalf, from accepting the resident's
# invitation until either of them ends it (ADR 0024). At most one active row per pair.
ACTIVE_CARE = "ended_at IS NULL"
caretakers = Table(
    "caretakers",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("resident_id", BigInteger, ForeignKey("residents.id"), nullable=False),
    Column("caretaker_id", BigInteger, ForeignKey("residents.id"), nullable=False, index=True),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    Index(
        "uq_caretakers_active",
        "resident_id",
        "caretaker_id",
        unique=True,
        sqlite_where=text(ACTIVE_CARE),
        postgresql_where=text(ACTIVE_CARE),
    ),
)

link_attempts = Table(
    "link_attempts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("resident_id", BigInteger, nullable=False),
    Column("supplier_id", Integer, nullable=False),
    Column("account_number", String(32), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_link_attempts_resident", "resident_id", "at"),
    Index("ix_link_attempts_account", "supplier_id", "account_number", "at"),
)

tariffs = Table(
    "tariffs",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("service", String(20), nullable=False),
    Column("zone", String(20), nullable=False),
    # UAH per unit in ten-thousandths, exact on both databases
    Column("price_e4", BigInteger, nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("demo", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint(
        "supplier_id", "service", "zone", "effective_from", name="uq_tariffs_supplier_id"
    ),
)
