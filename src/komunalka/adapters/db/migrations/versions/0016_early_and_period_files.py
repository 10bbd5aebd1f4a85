"""Readings sent early and held until their window opens (readings.release_at); the period's
final file written at the window's close (period_files, the supplier's file_format) and the
events announcing it (supplier_events) (ADR 0018)

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

UNSENT = "sent_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("release_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("file_format", sa.String(length=8), nullable=False, server_default="csv")
        )
    op.create_table(
        "period_files",
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name="fk_period_files_supplier_id_suppliers"
        ),
        sa.PrimaryKeyConstraint("supplier_id", "period", name="pk_period_files"),
    )
    op.create_table(
        "supplier_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name="fk_supplier_events_supplier_id_suppliers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_supplier_events"),
    )
    op.create_index(
        "ix_supplier_events_unsent",
        "supplier_events",
        ["id"],
        sqlite_where=sa.text(UNSENT),
        postgresql_where=sa.text(UNSENT),
    )


def downgrade() -> None:
    op.drop_index("ix_supplier_events_unsent", table_name="supplier_events")
    op.drop_table("supplier_events")
    op.drop_table("period_files")
    # Dropped in place, not by a batch copy: on SQLite a copy of `suppliers` would drop the
    # table accounts, meters and tariffs point at (SQLite 3.35+ drops a plain column itself).
    op.execute("ALTER TABLE suppliers DROP COLUMN file_format")
    op.execute("ALTER TABLE readings DROP COLUMN release_at")
