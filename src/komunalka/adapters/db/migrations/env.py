"""Alembic environment. The connection is handed in by `komunalka.adapters.db.migrate`, which the
bootstrap calls with the engine it created; nothing here creates an engine."""

from __future__ import annotations

from alembic import context

from komunalka.adapters.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `komunalka db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
