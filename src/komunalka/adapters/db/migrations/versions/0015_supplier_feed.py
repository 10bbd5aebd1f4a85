"""supplier feed: an item per accepted reading or correction (feed_items), a head per supplier
(its last position, acknowledgement, last fetch and webhook), webhook batches (ADR 0017)

Readings already stored become items without positions, in their order; the sequencer gives
them positions as it does any new item.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

DUE = "state IN ('waiting', 'sending')"


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "feed_items",
        sa.Column("id", big_id, nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("reading_id", sa.BigInteger(), nullable=False),
        sa.Column("replaces_id", sa.BigInteger(), nullable=True),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reading_id"], ["readings.id"], name="fk_feed_items_reading_id_readings"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feed_items"),
    )
    op.create_index(
        "uq_feed_items_position",
        "feed_items",
        ["supplier_id", "position"],
        unique=True,
        sqlite_where=sa.text("position IS NOT NULL"),
        postgresql_where=sa.text("position IS NOT NULL"),
    )
    op.create_index(
        "ix_feed_items_unsequenced",
        "feed_items",
        ["supplier_id", "id"],
        sqlite_where=sa.text("position IS NULL"),
        postgresql_where=sa.text("position IS NULL"),
    )
    op.create_index("ix_feed_items_period", "feed_items", ["supplier_id", "period", "position"])
    op.create_table(
        "feed_heads",
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("acked", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("webhook_url", sa.String(length=2000), nullable=True),
        sa.Column("webhook_secret", sa.String(length=200), nullable=True),
        sa.Column("batched", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name="fk_feed_heads_supplier_id_suppliers"
        ),
        sa.PrimaryKeyConstraint("supplier_id", name="pk_feed_heads"),
    )
    op.create_table(
        "webhook_batches",
        sa.Column("id", big_id, nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=60), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("first_position", sa.BigInteger(), nullable=True),
        sa.Column("last_position", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("give_up_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), server_default="waiting", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name="fk_webhook_batches_supplier_id_suppliers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_batches"),
        sa.UniqueConstraint("event_id", name="uq_webhook_batches_event_id"),
    )
    op.create_index(
        "ix_webhook_batches_supplier", "webhook_batches", ["supplier_id", "state", "id"]
    )
    op.create_index(
        "ix_webhook_batches_due",
        "webhook_batches",
        ["next_at"],
        sqlite_where=sa.text(DUE),
        postgresql_where=sa.text(DUE),
    )
    # Readings sent before the feed existed (not the registry's: those came from the supplier).
    op.execute(
        """
        INSERT INTO feed_items (supplier_id, reading_id, replaces_id, period)
        SELECT m.supplier_id, r.id,
               (SELECT max(o.id) FROM readings o
                WHERE o.meter_id = r.meter_id AND o.register = r.register
                  AND o.period = r.period AND o.id < r.id AND o.status = 'superseded'),
               r.period
        FROM readings r JOIN meters m ON m.id = r.meter_id
        WHERE r.receipt IS NOT NULL
        ORDER BY r.id
        """
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_batches_due", table_name="webhook_batches")
    op.drop_index("ix_webhook_batches_supplier", table_name="webhook_batches")
    op.drop_table("webhook_batches")
    op.drop_table("feed_heads")
    op.drop_index("ix_feed_items_period", table_name="feed_items")
    op.drop_index("ix_feed_items_unsequenced", table_name="feed_items")
    op.drop_index("uq_feed_items_position", table_name="feed_items")
    op.drop_table("feed_items")
