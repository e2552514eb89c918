"""Storage tests run on SQLite and on a real PostgreSQL server started for the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aimass.storage import pgtemp


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgtemp.Cluster]:
    """A throwaway PostgreSQL cluster; fails (never skips) with an install hint if it cannot."""
    try:
        cluster = pgtemp.acquire()
    except pgtemp.PostgresUnavailable as e:
        pytest.fail(str(e), pytrace=False)
    yield cluster
    pgtemp.release()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'aimass.db'}"
    cluster: pgtemp.Cluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database("store")
