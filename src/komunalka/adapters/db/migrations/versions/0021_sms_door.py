"""phone_links, phone_codes, sms_inbound: the SMS door's linked numbers, their one-time codes and
the inbound messages answered (ADR 0026)

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "phone_links",
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_phone_links_resident_id_residents"
        ),
        sa.PrimaryKeyConstraint("phone", name="pk_phone_links"),
    )
    op.create_index("ix_phone_links_resident_id", "phone_links", ["resident_id"], unique=False)
    op.create_table(
        "phone_codes",
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts_left", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_phone_codes_resident_id_residents"
        ),
        sa.PrimaryKeyConstraint("resident_id", name="pk_phone_codes"),
    )
    op.create_table(
        "sms_inbound",
        sa.Column("gateway_id", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("gateway_id", name="pk_sms_inbound"),
    )


def downgrade() -> None:
    op.drop_table("sms_inbound")
    op.drop_table("phone_codes")
    op.drop_index("ix_phone_links_resident_id", table_name="phone_links")
    op.drop_table("phone_links")
