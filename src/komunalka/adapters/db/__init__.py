"""Storage on SQLAlchemy 2 (async, Core): SQLite by default, PostgreSQL in production."""
