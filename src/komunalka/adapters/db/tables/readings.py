"""Readings and what follows them: submissions, photos, alerts, period files, and the
suppliers' events, feed and webhook batches."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from komunalka.adapters.db.tables.base import BigId, metadata
from komunalka.adapters.db.types import UtcDateTime

submissions = Table(
    "submissions",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("actor_key", String(60), nullable=False),
    # NULL keys never collide: a request without a key is never taken for a repeat.
    Column("client_key", String(100), nullable=True),
    Column("fingerprint", String(64), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("actor_key", "client_key", name="uq_submissions_actor_key_client_key"),
)

readings = Table(
    "readings",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("meter_id", BigInteger, ForeignKey("meters.id"), nullable=False),
    Column("register", String(20), nullable=False),
    Column("period", Integer, nullable=False),
    Column("value_milli", BigInteger, nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("status", String(12), nullable=False),
    Column("receipt", String(20), nullable=True),
    Column("submission_id", BigInteger, nullable=True),
    # Sent early: kept from the supplier until this moment, when its period's window opens
    # (ADR 0018). Whatever shows readings to a supplier reads only those with
    # `release_at IS NULL OR release_at <= now`.
    Column("release_at", UtcDateTime(), nullable=True),
    # History reads accepted readings through uq_readings_accepted and corrected ones through
    # this small index, so a bulk of accepted readings is written to one index, not two.
    Index(
        "ix_readings_superseded",
        "meter_id",
        "period",
        sqlite_where=text("status <> 'accepted'"),
        postgresql_where=text("status <> 'accepted'"),
    ),
    # Registry readings have neither receipt nor submission: keep them out of these indexes.
    Index(
        "uq_readings_receipt",
        "receipt",
        unique=True,
        sqlite_where=text("receipt IS NOT NULL"),
        postgresql_where=text("receipt IS NOT NULL"),
    ),
    Index(
        "ix_readings_submission_id",
        "submission_id",
        sqlite_where=text("submission_id IS NOT NULL"),
        postgresql_where=text("submission_id IS NOT NULL"),
    ),
    # At most one accepted reading per register and period: the database's own guard against a
    # duplicate, behind the lock that serializes submissions to a meter.
    Index(
        "uq_readings_accepted",
        "meter_id",
        "register",
        "period",
        unique=True,
        sqlite_where=text("status = 'accepted'"),
        postgresql_where=text("status = 'accepted'"),
    ),
)

# Photos of meters kept as evidence of a reading (ADR 0027): re-encoded with no EXIF, with the
# kept file's SHA-256; deleted after their supplier's `photo_retention_days`.
meter_photos = Table(
    "meter_photos",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("meter_id", BigInteger, ForeignKey("meters.id"), nullable=False, index=True),
    Column("register", String(20), nullable=False),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("period", Integer, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("resident_id", BigInteger, nullable=True),
    # What the reader read (the integer part), if it read anything that fit the meter.
    Column("read_value", BigInteger, nullable=True),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Index("ix_meter_photos_supplier_received", "supplier_id", "received_at"),
)

# A month's use far above a meter's usual, to be told to the resident (ADR 0025): written in the
# transaction of the reading, one row per meter, period and resident (the unit of "once"), sent
# by the worker with a lease as the outbox is. `receipt`: the reading that raised it (a
# correction of it withdraws the notice if it has not gone yet).
consumption_alerts = Table(
    "consumption_alerts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("meter_id", BigInteger, ForeignKey("meters.id"), nullable=False),
    Column("period", Integer, nullable=False),
    Column("resident_id", BigInteger, ForeignKey("residents.id"), nullable=False),
    Column("receipt", String(20), nullable=False),
    Column("code", String(30), nullable=False),
    Column("used_milli", BigInteger, nullable=False),
    Column("usual_milli", BigInteger, nullable=True),
    Column("months", Integer, nullable=False),
    Column("cap_milli", BigInteger, nullable=False),
    # The messenger the reading came by: where the notice goes when the resident chose no
    # reminder channel.
    Column("via", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # waiting, sending, sent, withdrawn, confirmed, no_channel, unreachable, dropped, failed,
    # unknown (application/notifications/alerts.py)
    Column("state", String(12), nullable=False, server_default="waiting"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", String(100), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("channel", String(20), nullable=False, server_default=""),
    Column("detail", Text, nullable=False, server_default=""),
    Column("finished_at", UtcDateTime(), nullable=True),
    # The resident said "that's right": nothing more is said of this meter and period.
    Column("confirmed_at", UtcDateTime(), nullable=True),
    UniqueConstraint("meter_id", "period", "resident_id", name="uq_consumption_alerts_once"),
    Index("ix_consumption_alerts_resident", "resident_id"),
    Index(
        "ix_consumption_alerts_claim",
        "state",
        "lease_until",
        sqlite_where=text("state IN ('waiting', 'sending')"),
        postgresql_where=text("state IN ('waiting', 'sending')"),
    ),
)

# A period's final file, written once when the supplier's window for it closes (ADR 0018): the
# primary key is the unit of "once", and the content lives in the database so that every process
# serves it and it survives restarts without a shared disk.
period_files = Table(
    "period_files",
    metadata,
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), primary_key=True),
    Column("period", Integer, primary_key=True),
    Column("format", String(8), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("written_at", UtcDateTime(), nullable=False),
)

# Events for suppliers written in the same transaction as what they announce (an outbox), e.g.
# ``period.file_ready``; the webhook sender reads them. Until it exists they are only recorded.
supplier_events = Table(
    "supplier_events",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("period", Integer, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Index(
        "ix_supplier_events_unsent",
        "id",
        sqlite_where=text("sent_at IS NULL"),
        postgresql_where=text("sent_at IS NULL"),
    ),
)

# A supplier's feed (issue 13, ADR 0017): an item per accepted reading or correction, written in
# the reading's own transaction with no position; the sequencer (adapters/db/feed.py) gives
# items positions 1, 2, 3, … per supplier, serially under the lock of the supplier's head row, so
# positions only ever become visible in increasing order and without gaps.
feed_items = Table(
    "feed_items",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("supplier_id", Integer, nullable=False),
    Column("reading_id", BigInteger, ForeignKey("readings.id"), nullable=False),
    # The reading this one corrects (superseded by it), if any.
    Column("replaces_id", BigInteger, nullable=True),
    Column("period", Integer, nullable=False),
    Column("position", BigInteger, nullable=True),
    Index(
        "uq_feed_items_position",
        "supplier_id",
        "position",
        unique=True,
        sqlite_where=text("position IS NOT NULL"),
        postgresql_where=text("position IS NOT NULL"),
    ),
    Index(
        "ix_feed_items_unsequenced",
        "supplier_id",
        "id",
        sqlite_where=text("position IS NULL"),
        postgresql_where=text("position IS NULL"),
    ),
    Index("ix_feed_items_period", "supplier_id", "period", "position"),
)

# One row per supplier: the last position given (the lock the sequencer takes), what the
# supplier acknowledged, when it last fetched, its webhook and how far the webhook's batches go.
feed_heads = Table(
    "feed_heads",
    metadata,
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), primary_key=True),
    Column("position", BigInteger, nullable=False, server_default="0"),
    Column("acked", BigInteger, nullable=False, server_default="0"),
    Column("acked_at", UtcDateTime(), nullable=True),
    Column("fetched_at", UtcDateTime(), nullable=True),
    Column("webhook_url", String(2000), nullable=True),
    Column("webhook_secret", String(200), nullable=True),
    Column("batched", BigInteger, nullable=False, server_default="0"),
)

# A webhook message: a batch of the feed's positions (first..last), or another event with its
# own payload (`period.file_ready`). Its `event_id` is the `webhook-id` of every attempt.
# States: waiting (due at `next_at`), sending (claimed until `lease_until`), delivered, failed.
webhook_batches = Table(
    "webhook_batches",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("event_id", String(60), nullable=False, unique=True),
    Column("event_type", String(60), nullable=False),
    Column("first_position", BigInteger, nullable=True),
    Column("last_position", BigInteger, nullable=True),
    Column("payload", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("give_up_at", UtcDateTime(), nullable=False),
    Column("state", String(10), nullable=False, server_default="waiting"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_at", UtcDateTime(), nullable=False),
    Column("claimed_by", String(100), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Index("ix_webhook_batches_supplier", "supplier_id", "state", "id"),
    Index(
        "ix_webhook_batches_due",
        "next_at",
        sqlite_where=text("state IN ('waiting', 'sending')"),
        postgresql_where=text("state IN ('waiting', 'sending')"),
    ),
)
