"""Storage for the service: conversations, decisions, feedback, profiles, keys, audit, queues.

SQLAlchemy 2 models with Alembic migrations shipped in the package and applied on start;
SQLite (WAL) by default, PostgreSQL by URL so several servers share one database. Nothing
heavy is imported here: ``aimass.storage.db`` imports SQLAlchemy when it is used.
"""
