"""Alembic environment: run with the connection that ``aimass.storage.db.migrate`` passes."""

from __future__ import annotations

from alembic import context

from aimass.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` run by hand without a connection
    raise RuntimeError("run migrations through aimass.storage.db.migrate()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
