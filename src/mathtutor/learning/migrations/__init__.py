"""Alembic migrations of the progress database, run in code by :func:`mathtutor.learning.db.upgrade`."""
