"""Any local Hugging Face checkpoint of the BERT, ALBERT, RoBERTa or XLM-R families works as
the backbone: training, saving, loading and serving go through the same code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from aimass.model import predict
from aimass.model.io import load_model
from aimass.training.data import IntentData, TaskData
from aimass.training.save import save_artifact
from aimass.training.trainer import train
from modelkit import INTENT_ROWS, tiny_config


@pytest.mark.parametrize("family", ["bert", "albert", "roberta", "xlm-roberta"])
def test_family_trains_saves_and_loads(
    tiny_backbones: Callable[[str], Path], tmp_path: Path, family: str
) -> None:
    texts = [t for t, _ in INTENT_ROWS]
    data = TaskData(intent=IntentData(texts, [lab for _, lab in INTENT_ROWS]))
    result = train(
        data, tiny_config(tiny_backbones(family), epochs=40, trim_vocab=True), data, progress=False
    )
    assert result.metrics["intent"]["accuracy"] == pytest.approx(1.0)
    save_artifact(result, tmp_path / "model", config={"train": {}})
    model, enc, files = load_model(tmp_path / "model")
    assert files.manifest["backbone"]["family"] in {"bert", "albert", "roberta", "xlm-roberta"}
    np.testing.assert_allclose(
        predict.intent_probabilities(model, enc, texts),
        predict.intent_probabilities(result.model, result.enc, texts),
        atol=1e-6,
    )
