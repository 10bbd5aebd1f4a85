"""registry imports; indexes and keys sized for bulk registry loads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 00:10:59.696769
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "registry_imports",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), server_default="0", nullable=False),
        sa.Column("meters", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_imports")),
    )
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registry_import_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("account_number", sa.String(length=32), server_default="", nullable=False)
        )
        batch_op.drop_constraint("fk_meters_supplier_id_suppliers", type_="foreignkey")
    op.execute(
        "UPDATE meters SET account_number = accounts.number FROM accounts"
        " WHERE accounts.id = meters.account_id"
    )

    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.drop_index("ix_readings_meter_period")
        batch_op.create_index(
            "ix_readings_superseded",
            ["meter_id", "period"],
            unique=False,
            sqlite_where=sa.text("status <> 'accepted'"),
            postgresql_where=sa.text("status <> 'accepted'"),
        )
        batch_op.drop_constraint(batch_op.f("uq_readings_receipt"), type_="unique")
        batch_op.create_index(
            "uq_readings_receipt",
            ["receipt"],
            unique=True,
            sqlite_where=sa.text("receipt IS NOT NULL"),
            postgresql_where=sa.text("receipt IS NOT NULL"),
        )
        # registry readings carry no submission: keep them out of the index
        batch_op.drop_index("ix_readings_submission_id")
        batch_op.create_index(
            "ix_readings_submission_id",
            ["submission_id"],
            unique=False,
            sqlite_where=sa.text("submission_id IS NOT NULL"),
            postgresql_where=sa.text("submission_id IS NOT NULL"),
        )


def downgrade() -> None:

    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.drop_index("ix_readings_submission_id")
        batch_op.create_index("ix_readings_submission_id", ["submission_id"], unique=False)
        batch_op.drop_index(
            "uq_readings_receipt",
            sqlite_where=sa.text("receipt IS NOT NULL"),
            postgresql_where=sa.text("receipt IS NOT NULL"),
        )
        batch_op.create_unique_constraint(batch_op.f("uq_readings_receipt"), ["receipt"])
        batch_op.drop_index("ix_readings_superseded")
        batch_op.create_index("ix_readings_meter_period", ["meter_id", "period"], unique=False)

    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_meters_supplier_id_suppliers", "suppliers", ["supplier_id"], ["id"]
        )
        batch_op.drop_column("account_number")
        batch_op.drop_column("registry_import_id")

    op.drop_table("registry_imports")
