"""caretakers: a relative who sends readings on a resident's behalf (ADR 0024)

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

ACTIVE = "ended_at IS NULL"


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "caretakers",
        sa.Column("id", big_id, nullable=False),
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("caretaker_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_caretakers_resident_id_residents"
        ),
        sa.ForeignKeyConstraint(
            ["caretaker_id"], ["residents.id"], name="fk_caretakers_caretaker_id_residents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_caretakers"),
    )
    op.create_index("ix_caretakers_caretaker_id", "caretakers", ["caretaker_id"])
    op.create_index(
        "uq_caretakers_active",
        "caretakers",
        ["resident_id", "caretaker_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_caretakers_active", table_name="caretakers")
    op.drop_index("ix_caretakers_caretaker_id", table_name="caretakers")
    op.drop_table("caretakers")
