"""Fixtures for the data tests (helpers live in ``datafixtures``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from datafixtures import CONFIG, FAQ, INTENTS, KB, PROFILE, write


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small valid project (both languages, every kind of content)."""
    root = tmp_path / "shopmate"
    write(root, "aimass.yaml", CONFIG)
    write(root, "data/intents.yaml", INTENTS)
    write(root, "data/faq.yaml", FAQ)
    write(root, "data/profile.yaml", PROFILE)
    write(root, "kb/returns.md", KB)
    return root
