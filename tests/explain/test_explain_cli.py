"""`aimass explain` in the terminal and as JSON, and explanations of the ONNX-served model
(occlusion needs no torch; integrated gradients say clearly that they do)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aimass.cli.main import app
from aimass.errors import InputError
from aimass.runtime.assistant import Assistant
from aimass.runtime.scope import decide_texts

runner = CliRunner()


def test_explain_json(keyword_artifact: Path) -> None:
    r = runner.invoke(app, ["explain", "你好退款谢谢", "-m", str(keyword_artifact), "--json"])
    assert r.exit_code == 0, r.output
    e = json.loads(r.output)
    assert e["intent"] == "refund"
    best = max(e["attributions"], key=lambda a: a["score"])
    assert best["text"] == "退款" and (best["start"], best["end"]) == (2, 4)


def test_explain_pretty_with_ig(keyword_artifact: Path) -> None:
    r = runner.invoke(
        app, ["explain", "hello refund please now", "-m", str(keyword_artifact), "--method", "ig"]
    )
    assert r.exit_code == 0, r.output
    assert "word attributions (ig)" in r.output and "nearest training examples" in r.output
    assert "lost to refund" in r.output


def test_explain_unknown_method_is_coded(keyword_artifact: Path) -> None:
    r = runner.invoke(app, ["explain", "hello", "-m", str(keyword_artifact), "--method", "shap"])
    assert r.exit_code == 1 and "AM560" in r.output and "Traceback" not in r.output


@pytest.fixture(scope="module")
def onnx_artifact(keyword_artifact: Path) -> Path:
    from aimass.compress.chain import compress

    out = keyword_artifact.parent / "onnx-model"
    if not out.exists():
        compress(keyword_artifact, out, threads=1, int8=False)
    return out


def test_occlusion_explains_the_onnx_model(onnx_artifact: Path) -> None:
    assistant = Assistant.load(onnx_artifact)
    e = assistant.explain("i need the delivery today")
    assert max(e.attributions, key=lambda a: a.score).text == "delivery"
    assert e.nearest and e.scope_score is not None  # calibration.json travelled along
    with pytest.raises(InputError) as err:
        assistant.explain("i need the delivery today", "ig")
    assert err.value.code == "AM562"
    # The served ONNX model applies the same stored out-of-scope rule as the torch one.
    texts = ["i need the delivery today", "the weather on mars"]
    _, _, decided = decide_texts(assistant.predictor, texts, assistant.thresholds)
    assert [r.out_of_scope for r in assistant.respond_many(texts)] == [d[2] for d in decided]
