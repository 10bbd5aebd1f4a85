"""Registry imports in short transactions, resumable: an import's key, runner and counts so far,
and the rows it has staged for merging (ADR 0016)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COUNTS = ("staged", "duplicates", "accounts", "readings", "replaced", "staged_through")


def upgrade() -> None:
    with op.batch_alter_table("registry_imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("state", sa.Text(), nullable=False, server_default="done"))
        batch_op.add_column(sa.Column("runner", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("water_heaters", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        for name in COUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_registry_imports_key", ["key"])
    stage_columns: list[sa.Column[Any]] = [
        sa.Column("supplier_id", sa.Integer()),
        *[sa.Column(n, sa.Text()) for n in ("account", "holder", "address", "district")],
        *[sa.Column(n, sa.Text()) for n in ("service", "serial", "registers")],
        sa.Column("digits", sa.Integer()),
        sa.Column("decimals", sa.Integer()),
        sa.Column("verification_due", sa.Date()),
        sa.Column("status", sa.Text()),
        sa.Column("period", sa.Integer()),
        *[
            c
            for i in range(1, 5)
            for c in (sa.Column(f"r{i}", sa.Text()), sa.Column(f"v{i}", sa.Integer()))
        ],
        sa.Column("water_heater", sa.Boolean()),
    ]
    op.create_table(
        "registry_rows",
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("duplicate", sa.Boolean(), nullable=False),
        *stage_columns,
        sa.PrimaryKeyConstraint("import_id", "line", name=op.f("pk_registry_rows")),
    )
    op.create_index(
        "ix_registry_rows_meter", "registry_rows", ["import_id", "supplier_id", "serial"]
    )
    op.create_index(
        "ix_registry_rows_account", "registry_rows", ["import_id", "supplier_id", "account"]
    )


def downgrade() -> None:
    op.drop_table("registry_rows")
    with op.batch_alter_table("registry_imports", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_imports_key")
        for name in ("key", "state", "runner", "water_heaters", *COUNTS):
            batch_op.drop_column(name)
