"""consumption_alerts: a month's use far above a meter's usual, to be told to the resident once
(ADR 0025)

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

CLAIMABLE = "state IN ('waiting', 'sending')"


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "consumption_alerts",
        sa.Column("id", big_id, nullable=False),
        sa.Column("meter_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("receipt", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("used_milli", sa.BigInteger(), nullable=False),
        sa.Column("usual_milli", sa.BigInteger(), nullable=True),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("cap_milli", sa.BigInteger(), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), server_default="waiting", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=20), server_default="", nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meters.id"], name="fk_consumption_alerts_meter_id_meters"
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_consumption_alerts_resident_id_residents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_consumption_alerts"),
        sa.UniqueConstraint("meter_id", "period", "resident_id", name="uq_consumption_alerts_once"),
    )
    op.create_index(
        "ix_consumption_alerts_resident", "consumption_alerts", ["resident_id"], unique=False
    )
    op.create_index(
        "ix_consumption_alerts_claim",
        "consumption_alerts",
        ["state", "lease_until"],
        unique=False,
        sqlite_where=sa.text(CLAIMABLE),
        postgresql_where=sa.text(CLAIMABLE),
    )


def downgrade() -> None:
    op.drop_index("ix_consumption_alerts_claim", table_name="consumption_alerts")
    op.drop_index("ix_consumption_alerts_resident", table_name="consumption_alerts")
    op.drop_table("consumption_alerts")
