"""The terminal chat (`komunalka chat`) recorded as a chat of its own, ``terminal``, not as the
command line, ``cli``: its identities, dialog states and delivered turns, and what its residents
did (their submissions, the readings of those, their audit entries). A resident acting through
``cli`` can only have been the terminal chat: the command line acts as the system.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in ("channel", *columns)))


def _move(old: str, new: str) -> None:
    for name in ("identities", "dialog_states", "deliveries"):
        t = _table(name)
        op.execute(t.update().where(t.c.channel == old).values(channel=new))
    s = _table("submissions", "id", "actor_key")
    by_residents = sa.and_(s.c.channel == old, s.c.actor_key.like("resident:%"))
    op.execute(s.update().where(by_residents).values(channel=new))
    r = _table("readings", "submission_id")
    theirs = sa.select(s.c.id).where(s.c.channel == new)
    op.execute(
        r.update().where(r.c.channel == old, r.c.submission_id.in_(theirs)).values(channel=new)
    )
    a = _table("audit_log", "actor_kind")
    op.execute(
        a.update().where(a.c.channel == old, a.c.actor_kind == "resident").values(channel=new)
    )


def upgrade() -> None:
    _move("cli", "terminal")


def downgrade() -> None:
    _move("terminal", "cli")
