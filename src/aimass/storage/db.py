"""Opening a database: URL resolution, SQLite WAL, migrations applied on start.

The migrations ship inside the package (``aimass/storage/migrations``) and run
programmatically, so a fresh server needs no set-up. Several servers starting at once on one
PostgreSQL database take an advisory lock around the upgrade; SQLite uses a file lock.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from aimass.errors import ServiceError

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_LOCK = 0x61696D61  # "aima": the advisory lock id held while migrating


def default_url() -> str:
    """``$AIMASS_DATABASE_URL``, else SQLite at ``$AIMASS_HOME/service.db``."""
    env = os.environ.get("AIMASS_DATABASE_URL", "").strip()
    if env:
        return normalise_url(env)
    from aimass.paths import aimass_home

    return sqlite_url(aimass_home() / "service.db")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def normalise_url(url: str) -> str:
    """Accept a plain path (SQLite) or a URL; ``postgresql://`` uses psycopg 3."""
    if "://" not in url:
        return sqlite_url(Path(url))
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("sqlite:", "postgresql+psycopg:")):
        return url
    raise ServiceError(
        f"unsupported database URL scheme: {url.split('://', 1)[0]!r}",
        code="AM814",
        hint="use a SQLite path/URL or postgresql://user@host:port/dbname",
    )


def create_engine(url: str) -> Any:
    """An engine; SQLite gets WAL, a busy timeout and foreign keys on every connection."""
    from sqlalchemy import create_engine as sa_create_engine
    from sqlalchemy import event

    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa_create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None}
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # Writers take the write lock up front: a read-then-write transaction can then
            # never fail with SQLITE_BUSY half-way, and read-modify-write (counters, tags)
            # loses nothing. Readers (engine option ``aimass_readonly``) take no lock (WAL).
            if conn.get_execution_options().get("aimass_readonly"):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sa_create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def migrate(engine: Any) -> None:
    """Bring the schema to the newest revision (idempotent; safe with concurrent starters)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK})
                try:
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                    conn.commit()
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK})
                    conn.commit()
        else:
            from filelock import FileLock

            db_path = str(engine.url.database or "")
            lock = FileLock(db_path + ".migrate.lock") if db_path not in ("", ":memory:") else None
            if lock is not None:
                lock.acquire(timeout=120)
            try:
                with engine.begin() as conn:
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
            finally:
                if lock is not None:
                    lock.release()
    except ServiceError:
        raise
    except Exception as e:  # a broken database must not start a half-working server
        raise ServiceError(
            f"the database cannot be opened or migrated ({type(e).__name__})",
            code="AM809",
            hint="check the database URL, that the server is running and that you may write to it",
        ) from e


def current_revision(engine: Any) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
