"""Shared fixtures: tiny random backbones (seconds, not minutes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from modelkit import all_texts


@pytest.fixture(scope="session")
def tiny_backbones(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``tiny_backbones(family)``: a tiny random HF checkpoint (2 layers, hidden 32)."""
    from aimass.encoders.tiny import build_tiny_backbone

    root = tmp_path_factory.mktemp("tiny-backbones")
    built: dict[str, Path] = {}

    def get(family: str = "bert") -> Path:
        if family not in built:
            built[family] = build_tiny_backbone(family, root / family, vocab_texts=all_texts())
        return built[family]

    return get
