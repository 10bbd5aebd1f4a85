"""deliveries

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 01:08:02.771439
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "deliveries",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("delivery_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "delivery_id", name=op.f("pk_deliveries")),
    )


def downgrade() -> None:

    op.drop_table("deliveries")
