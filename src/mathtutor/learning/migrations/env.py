"""Alembic environment: always run in-process on a connection handed over by mathtutor.learning.db.

No alembic.ini and no logging configuration: the caller builds the Config in code and passes the
connection (already inside a transaction, and on PostgreSQL holding an advisory lock) in
``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from mathtutor.learning.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running the alembic CLI by hand
    raise RuntimeError("run migrations through mathtutor.learning.db.upgrade(), which passes a connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things in place
)
with context.begin_transaction():
    context.run_migrations()
