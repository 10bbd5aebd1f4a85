"""Photos of meters kept as evidence, and each supplier's retention of them (ADR 0027)

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("photo_retention_days", sa.Integer(), nullable=False, server_default="730")
        )
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "meter_photos",
        sa.Column("id", big_id, nullable=False),
        sa.Column("meter_id", sa.BigInteger(), nullable=False),
        sa.Column("register", sa.String(length=20), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("resident_id", sa.BigInteger(), nullable=True),
        sa.Column("read_value", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meters.id"], name=op.f("fk_meter_photos_meter_id_meters")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_meter_photos_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_photos")),
    )
    with op.batch_alter_table("meter_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meter_photos_meter_id"), ["meter_id"], unique=False)
        batch_op.create_index(
            "ix_meter_photos_supplier_received", ["supplier_id", "received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("meter_photos", schema=None) as batch_op:
        batch_op.drop_index("ix_meter_photos_supplier_received")
        batch_op.drop_index(batch_op.f("ix_meter_photos_meter_id"))
    op.drop_table("meter_photos")
    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.drop_column("photo_retention_days")
