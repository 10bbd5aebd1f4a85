"""identities and dialog states

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 00:55:19.229102
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "dialog_states",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "external_id", name=op.f("pk_dialog_states")),
    )
    op.create_table(
        "identities",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=5), server_default="uk", nullable=False),
        sa.Column("reminders", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_identities_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("channel", "external_id", name=op.f("pk_identities")),
    )
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identities_resident_id"), ["resident_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identities_resident_id"))

    op.drop_table("identities")
    op.drop_table("dialog_states")
