"""meters.revision: submissions check that the meter has not moved on since they read it

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table.
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revision", sa.BigInteger(), nullable=False, server_default="0")
        )
    if op.get_context().dialect.name == "postgresql":
        # Room on each page for a meter's next version: moving the revision on (no indexed
        # column changes) is then a heap-only update, with no new index entries. Pages written
        # from now on keep it; older ones as the table is rewritten.
        op.execute("ALTER TABLE meters SET (fillfactor = 90)")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE meters RESET (fillfactor)")
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.drop_column("revision")
