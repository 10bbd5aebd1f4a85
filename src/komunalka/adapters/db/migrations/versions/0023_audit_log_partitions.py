"""The audit log partitioned by month on PostgreSQL (ADR 0030); SQLite: nothing changes

The rows already there are not copied: the old table becomes the partition that holds
everything before next month (`partitions.audit_log_untilYYYYMM`); a default partition and the
months ahead are made beside it, the latter by `audit_log_months_ahead()`, the function (run as
the schema's owner) the clean-up job calls to make the coming months. Downgrade copies the
rows back into one plain table.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from komunalka.adapters.db.partitions import AHEAD, MONTHS_AHEAD, SCHEMA, month_start

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def _scalar(sql: str) -> object:
    return op.get_bind().execute(sa.text(sql)).scalar()


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    newest = _scalar("SELECT max(at) FROM audit_log")
    now = datetime.now(UTC)
    until = month_start(max(now, newest) if isinstance(newest, datetime) else now, 1)
    legacy = f"audit_log_until{until:%Y%m}"
    sequence = _scalar("SELECT pg_get_serial_sequence('audit_log', 'id')")
    for statement in (
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
        f"ALTER SEQUENCE {sequence} OWNED BY NONE",
        f"ALTER TABLE audit_log SET SCHEMA {SCHEMA}",
        f"ALTER TABLE {SCHEMA}.audit_log RENAME TO {legacy}",
        # a partition's primary key has the partition key in it too
        f"CREATE UNIQUE INDEX {legacy}_pkey ON {SCHEMA}.{legacy} (id, at)",
        f"ALTER TABLE {SCHEMA}.{legacy} DROP CONSTRAINT pk_audit_log",
        f"ALTER TABLE {SCHEMA}.{legacy} ADD PRIMARY KEY USING INDEX {legacy}_pkey",
        f"CREATE TABLE audit_log (LIKE {SCHEMA}.{legacy} INCLUDING DEFAULTS)"
        " PARTITION BY RANGE (at)",
        "ALTER TABLE audit_log ADD CONSTRAINT pk_audit_log PRIMARY KEY (id, at)",
        "CREATE INDEX ix_audit_log_subject ON audit_log (subject)",
        f"ALTER TABLE audit_log ATTACH PARTITION {SCHEMA}.{legacy}"
        f" FOR VALUES FROM (MINVALUE) TO ('{until:%Y-%m-%d} 00:00:00+00')",
        f"CREATE TABLE {SCHEMA}.audit_log_default PARTITION OF audit_log DEFAULT",
        f"ALTER SEQUENCE {sequence} OWNED BY audit_log.id",
        MONTHS_AHEAD,
    ):
        op.execute(statement)
    op.get_bind().execute(
        sa.text("SELECT audit_log_months_ahead(:now, :ahead)"), {"now": now, "ahead": AHEAD}
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    sequence = _scalar("SELECT pg_get_serial_sequence('audit_log', 'id')")
    for statement in (
        "DROP FUNCTION audit_log_months_ahead(timestamptz, integer)",
        "CREATE TABLE audit_log_plain (LIKE audit_log INCLUDING DEFAULTS)",
        "INSERT INTO audit_log_plain SELECT * FROM audit_log",
        f"ALTER SEQUENCE {sequence} OWNED BY NONE",
        "DROP TABLE audit_log",
        "ALTER TABLE audit_log_plain RENAME TO audit_log",
        "ALTER TABLE audit_log ADD CONSTRAINT pk_audit_log PRIMARY KEY (id)",
        "CREATE INDEX ix_audit_log_subject ON audit_log (subject)",
        f"ALTER SEQUENCE {sequence} OWNED BY audit_log.id",
        # months detached by `komunalka db detach-partitions` stay; the schema goes if empty
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n"  # noqa: S608
        f" ON n.oid = c.relnamespace WHERE n.nspname = '{SCHEMA}') THEN DROP SCHEMA {SCHEMA};"
        " END IF; END $$",
    ):
        op.execute(statement)
