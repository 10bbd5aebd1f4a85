"""reminders: rules per supplier, their plans, one row per resident, rule and period; the
water-heater flag of meters; identities a messenger reported unreachable

The bot's reminder switch (identities.reminders) becomes the resident's reminder channel with
consent in resident_profiles, the one place reminders are planned from (ADR 0014).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CLAIMABLE = "state IN ('planned', 'sending')"


def upgrade() -> None:
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("water_heater", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "reminder_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name="fk_reminder_rules_supplier_id_suppliers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reminder_rules"),
        sa.UniqueConstraint("supplier_id", "kind", name="uq_reminder_rules_supplier_kind"),
    )
    op.create_table(
        "reminder_plans",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("run", sa.String(length=10), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["reminder_rules.id"], name="fk_reminder_plans_rule_id_reminder_rules"
        ),
        sa.PrimaryKeyConstraint("rule_id", "run", name="pk_reminder_plans"),
    )
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "reminders",
        sa.Column("id", big_id, nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("send_at", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=12), server_default="planned", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column("billing_status", sa.Integer(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["reminder_rules.id"], name="fk_reminders_rule_id_reminder_rules"
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_reminders_resident_id_residents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reminders"),
        sa.UniqueConstraint("resident_id", "rule_id", "period", name="uq_reminders_once"),
    )
    op.create_index("ix_reminders_supplier_period", "reminders", ["supplier_id", "period"])
    op.create_index(
        "ix_reminders_claim",
        "reminders",
        ["send_at"],
        sqlite_where=sa.text(CLAIMABLE),
        postgresql_where=sa.text(CLAIMABLE),
    )
    # The bot's switch, turned on before reminders were planned from the profile: the channel
    # of the resident's first such identity, consent given when they turned it on (unknown:
    # when the identity was made).
    op.execute(
        """
        INSERT INTO resident_profiles (resident_id, language, reminder_channel,
                                       reminder_consent_at, contact)
        SELECT i.resident_id, MIN(i.language), MIN(i.channel), MIN(i.created_at), ''
        FROM identities i
        WHERE i.reminders AND i.channel IN ('telegram', 'viber')
          AND NOT EXISTS (SELECT 1 FROM resident_profiles p WHERE p.resident_id = i.resident_id)
        GROUP BY i.resident_id
        """
    )
    op.execute(
        """
        UPDATE resident_profiles
        SET reminder_channel = (
              SELECT MIN(i.channel) FROM identities i
              WHERE i.resident_id = resident_profiles.resident_id AND i.reminders
                AND i.channel IN ('telegram', 'viber')),
            reminder_consent_at = (
              SELECT MIN(i.created_at) FROM identities i
              WHERE i.resident_id = resident_profiles.resident_id AND i.reminders
                AND i.channel IN ('telegram', 'viber'))
        WHERE reminder_channel = 'none' AND EXISTS (
              SELECT 1 FROM identities i
              WHERE i.resident_id = resident_profiles.resident_id AND i.reminders
                AND i.channel IN ('telegram', 'viber'))
        """
    )


def downgrade() -> None:
    op.drop_index("ix_reminders_claim", table_name="reminders")
    op.drop_index("ix_reminders_supplier_period", table_name="reminders")
    op.drop_table("reminders")
    op.drop_table("reminder_plans")
    op.drop_table("reminder_rules")
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.drop_column("unreachable_at")
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.drop_column("water_heater")
