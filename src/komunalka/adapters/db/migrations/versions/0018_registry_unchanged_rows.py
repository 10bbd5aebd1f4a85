"""Registry re-imports write only what changed: the unchanged rows' count on an import and an
upload, and the meters an import found unchanged while it runs (ADR 0022)

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("registry_imports", "registry_uploads"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("unchanged", sa.Integer(), nullable=False, server_default="0")
            )
    op.create_table(
        "registry_seen",
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "import_id", "supplier_id", "serial", name=op.f("pk_registry_seen")
        ),
    )


def downgrade() -> None:
    op.drop_table("registry_seen")
    for table in ("registry_uploads", "registry_imports"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("unchanged")
