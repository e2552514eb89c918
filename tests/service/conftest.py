"""Service tests: a tiny real model trained once per session, and real databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aimass.storage import pgtemp
from modelkit import train_tiny_artifact


@pytest.fixture(scope="session")
def artifact(
    tiny_backbones: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return train_tiny_artifact(tiny_backbones("bert"), tmp_path_factory.mktemp("svc") / "model")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgtemp.Cluster]:
    """A throwaway PostgreSQL cluster; fails (never skips) with an install hint if it cannot."""
    try:
        cluster = pgtemp.acquire()
    except pgtemp.PostgresUnavailable as e:
        pytest.fail(str(e), pytrace=False)
    yield cluster
    pgtemp.release()
