"""A bot project with a small trained model, shared by the ``aimass augment`` tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aimass.config import ProjectConfig
from aimass.data import ProjectContent, write_project
from aimass.schemas.project import Example, Intent, LookupTable
from modelkit import INTENT_ROWS, tiny_config


@pytest.fixture(scope="session")
def trained(
    tiny_backbones: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    from aimass.training.data import IntentData, TaskData
    from aimass.training.save import save_artifact
    from aimass.training.trainer import train

    rows = [*INTENT_ROWS, ("我想退iPhone 15", "return_item")]
    intents: dict[str, list[str]] = {}
    for text, name in rows:
        intents.setdefault(name, []).append(text)
    content = ProjectContent(
        intents=[
            Intent(name=n, examples=[Example(text=t) for t in ts]) for n, ts in intents.items()
        ],
        lookups=[LookupTable(name="product", elements=["iPhone 15", "MacBook Air"])],
    )
    root = tmp_path_factory.mktemp("augment-cli")
    project = write_project(
        root / "bot",
        content,
        config=ProjectConfig(name="bot", languages=["zh", "en"], min_examples_per_intent=2),
    )
    data = TaskData(intent=IntentData([t for t, _ in rows], [n for _, n in rows]))
    result = train(data, tiny_config(tiny_backbones("bert"), epochs=60), data, progress=False)
    model = root / "model"
    save_artifact(result, model, config={"train": {}}, runtime={})
    return project, model
