"""A tiny trained artifact shared by the runtime tests (trained once per session)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aimass.runtime.assistant import Assistant
from modelkit import train_tiny_artifact


@pytest.fixture(scope="session")
def runtime_artifact(
    tiny_backbones: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return train_tiny_artifact(
        tiny_backbones("bert"), tmp_path_factory.mktemp("assistant") / "model"
    )


@pytest.fixture(scope="module")
def assistant(runtime_artifact: Path) -> Assistant:
    return Assistant.load(runtime_artifact)
