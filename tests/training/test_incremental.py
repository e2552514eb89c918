"""Adding an intent to a trained model without training from scratch (aimass learn
--add-intents): the new intent is recognised, the old ones and every other task keep working,
and a candidate that fails its budget never replaces the current model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aimass.cli.main import app
from aimass.errors import TrainingError
from aimass.training.data import IntentData
from aimass.training.incremental import IncrementalConfig, update_artifact
from modelkit import FAQ_BANK, HANDOFF_ROWS, INTENT_ROWS, OOS_ROWS, train_tiny_artifact

runner = CliRunner()

# Words the tiny backbone's vocabulary has (modelkit.all_texts), so they tokenise for real.
NEW_ROWS = [
    ("how to reset password", "password"),
    ("how do I change my password", "password"),
    ("reset my password please", "password"),
    ("I want to change my password", "password"),
    ("change password", "password"),
    ("how do I reset my password", "password"),
]
OLD_ROWS = INTENT_ROWS + OOS_ROWS + HANDOFF_ROWS


def _data(rows: list[tuple[str, str]]) -> IntentData:
    return IntentData([t for t, _ in rows], [g for _, g in rows])


def _write_jsonl(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text(
        "".join(json.dumps({"text": t, "label": g}, ensure_ascii=False) + "\n" for t, g in rows),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def base(tiny_backbones, tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    return train_tiny_artifact(tiny_backbones("bert"), tmp_path_factory.mktemp("inc") / "model")


def _digests(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): hash(p.read_bytes()) for p in folder.rglob("*") if p.is_file()
    }


def test_new_intent_is_recognised_and_every_other_task_is_unchanged(
    base: Path, tmp_path: Path
) -> None:
    from aimass.runtime.predictor import TorchPredictor

    out = tmp_path / "updated"
    report = update_artifact(
        base,
        _data(NEW_ROWS),
        _data(OLD_ROWS),
        dev=_data(OLD_ROWS + NEW_ROWS),
        out=out,
        config=IncrementalConfig(threads=1),
    )
    assert report["promoted"], report["reason"]
    assert report["new_intents"] == ["password"]
    old, new = TorchPredictor(base), TorchPredictor(out)
    assert new.intent_labels == [*old.intent_labels, "password"]
    probs = new.intent_probabilities([t for t, _ in NEW_ROWS])
    hits = sum(new.intent_labels[i] == "password" for i in probs.argmax(1))
    assert hits >= 5, f"the new intent won {hits} of its {len(NEW_ROWS)} examples"
    # The head alone was trained: FAQ matching and profile tags see the same encoder.
    faq_texts = [q for qs in FAQ_BANK.values() for q in qs]
    np.testing.assert_allclose(old.embed(faq_texts), new.embed(faq_texts), atol=1e-6)
    np.testing.assert_allclose(
        old.tag_probabilities(faq_texts), new.tag_probabilities(faq_texts), atol=1e-6
    )
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["incremental"][-1]["new_intents"] == ["password"]
    assert report["old_drop_points"] <= 1.0


def test_a_candidate_over_budget_leaves_the_current_model_untouched(base: Path) -> None:
    (base / "bandit-policy.json").write_text("{}", encoding="utf-8")
    before = _digests(base)
    report = update_artifact(
        base,
        _data(NEW_ROWS),
        _data(OLD_ROWS),
        dev=_data(OLD_ROWS + NEW_ROWS),
        max_drop=-100.0,  # no candidate can pass
        config=IncrementalConfig(threads=1, epochs=2),
    )
    assert not report["promoted"]
    assert _digests(base) == before
    assert not [p for p in base.parent.iterdir() if p.name.startswith(".candidate-")]


def test_in_place_promotion_keeps_what_lives_beside_the_model(base: Path, tmp_path: Path) -> None:
    art = tmp_path / "model"
    shutil.copytree(base, art)
    (art / "content").mkdir()
    (art / "content" / "faqs.json").write_text('{"kept": true}', encoding="utf-8")
    (art / "bandit-policy.json").write_text('{"policy": 1}', encoding="utf-8")
    report = update_artifact(
        art,
        _data(NEW_ROWS),
        _data(OLD_ROWS),
        dev=_data(OLD_ROWS + NEW_ROWS),
        max_drop=100.0,
        config=IncrementalConfig(threads=1, epochs=5),
    )
    assert report["promoted"]
    labels = json.loads((art / "labels.json").read_text(encoding="utf-8"))
    assert labels["intents"][-1] == "password"
    assert (art / "content" / "faqs.json").read_text(encoding="utf-8") == '{"kept": true}'
    assert (art / "bandit-policy.json").read_text(encoding="utf-8") == '{"policy": 1}'


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (NEW_ROWS[:3], "at least 5"),
        ([], "no new examples"),
    ],
)
def test_unusable_new_examples_get_a_coded_error(
    base: Path, tmp_path: Path, rows: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(TrainingError) as err:
        update_artifact(base, _data(rows), _data(OLD_ROWS), out=tmp_path / "x")
    assert err.value.code == "AM595"
    assert message in err.value.message
    assert not (tmp_path / "x").exists()


def test_cli_adds_an_intent_from_a_file(base: Path, tmp_path: Path) -> None:
    new = _write_jsonl(tmp_path / "new.jsonl", NEW_ROWS)
    train = _write_jsonl(tmp_path / "train.jsonl", OLD_ROWS)
    dev = _write_jsonl(tmp_path / "dev.jsonl", OLD_ROWS + NEW_ROWS)
    out = tmp_path / "updated"
    res = runner.invoke(
        app,
        [
            "learn",
            str(base),
            "--add-intents",
            "--examples",
            str(new),
            "--data",
            str(train),
            "--dev",
            str(dev),
            "--out",
            str(out),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.output[res.output.index("{") :])
    assert report["promoted"] and report["new_intents"] == ["password"]
    assert (out / "aimass-artifact.json").is_file()


def test_cli_refuses_to_guess_what_to_learn(base: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["learn", str(base)])
    assert res.exit_code != 0
    assert "AM588" in res.output
    res = runner.invoke(app, ["learn", str(base), "--add-intents"])
    assert res.exit_code != 0
    assert "AM597" in res.output  # an artifact alone has no old examples to rehearse
