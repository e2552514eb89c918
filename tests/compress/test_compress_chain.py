"""``aimass compress``: a complete ONNX artifact written atomically with a report of every
stage; the compressed bot answers like the torch one; serving it imports neither torch nor
transformers; user mistakes get AM52x codes, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aimass.cli.main import app
from aimass.errors import ArtifactError, TrainingError

QUESTIONS = ["我想退货怎么办", "where is my parcel", "你们支持花呗吗", "转人工", "tell me a joke"]


def test_compressed_artifact_is_complete(compressed: tuple[Path, dict[str, Any]]) -> None:
    out, _ = compressed
    manifest = json.loads((out / "aimass-artifact.json").read_text(encoding="utf-8"))
    assert manifest["model_format"] == "onnx"
    assert manifest["compressed_from"] and manifest["model_version"] != manifest["compressed_from"]
    for rel in ("model.onnx", "onnx.json", "encoder/tokenizer.json", "labels.json",
                "calibration.json", "runtime.json", "experts/lexical/expert.json",
                "report.json", "report.md"):  # fmt: skip
        assert (out / rel).is_file(), rel
    assert not (out / "model.safetensors").exists()
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith((".tmp-", ".work-"))]
    assert leftovers == []


def test_report_measures_every_stage(compressed: tuple[Path, dict[str, Any]]) -> None:
    out, report = compressed
    assert json.loads((out / "report.json").read_text(encoding="utf-8")) == report
    names = [s["name"] for s in report["stages"]]
    assert names == ["torch-fp32", "onnx-fp32", "int8", "int8-per-channel"]
    for s in report["stages"]:
        assert s["model_mb"] > 0 and s["b1_ms"] > 0 and s["b32_ms"] > 0
        assert "intent_accuracy" in s["metrics"]  # a dev set was given
        assert {"profile_agreement", "faq_top1_agreement"} <= s["metrics"].keys()
    kept = [s for s in report["stages"] if s["status"] == "kept"]
    assert [s["name"] for s in kept] == [report["kept"]]
    for s in report["stages"]:
        if s["status"] == "rejected":
            assert s["reason"]  # every rejection says why (slower, or over budget)
        if s["name"].startswith("int8") and s["status"] in ("kept", "accepted"):
            fp32 = report["stages"][1]
            assert s["b1_ms"] < fp32["b1_ms"] and s["b32_ms"] < fp32["b32_ms"]
    assert report["stages"][1]["parity"]["embedding_min_cosine"] >= 0.9999
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| torch-fp32 |" in md and "| int8 |" in md and report["kept"] in md
    assert (out / "report.png").stat().st_size > 1000  # size against latency, per stage


def test_onnx_assistant_answers_like_the_torch_one(torch_artifact: Path, onnx_fp32: Path) -> None:
    from aimass.runtime.assistant import Assistant
    from aimass.runtime.onnx_predictor import OnnxPredictor

    ref, got = Assistant.load(torch_artifact), Assistant.load(onnx_fp32)
    assert isinstance(got.predictor, OnnxPredictor)
    for a, b in zip(ref.respond_many(QUESTIONS), got.respond_many(QUESTIONS), strict=True):
        assert [i.name for i in a.intents] == [i.name for i in b.intents]
        assert abs(a.intents[0].confidence - b.intents[0].confidence) < 1e-4
        assert a.out_of_scope == b.out_of_scope
        assert [t.name for t in a.tags] == [t.name for t in b.tags]
        assert [f.faq_id for f in a.faqs] == [f.faq_id for f in b.faqs]
        assert a.decision.kind == b.decision.kind and a.decision.reply == b.decision.reply


def test_serving_a_compressed_artifact_imports_no_torch(
    compressed: tuple[Path, dict[str, Any]],
) -> None:
    out, _ = compressed
    probe = f"""
import sys
from aimass.runtime.assistant import Assistant
r = Assistant.load({str(out)!r}).respond("我想退货怎么办")
assert r.intent is not None, r
from typer.testing import CliRunner
from aimass.cli.main import app
res = CliRunner().invoke(app, ["ask", "where is my parcel", "-m", {str(out)!r}, "--json"])
assert res.exit_code == 0, res.output
assert '"decision"' in res.output
print("loaded:" + ",".join(m for m in ("torch", "transformers") if m in sys.modules))
"""
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    line = [ln for ln in run.stdout.splitlines() if ln.startswith("loaded:")][-1]
    assert line == "loaded:"


def test_cli_compress_writes_the_artifact(torch_artifact: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli-onnx"
    res = CliRunner().invoke(
        app, ["compress", str(torch_artifact), "--out", str(out), "--no-int8", "--threads", "1"]
    )
    assert res.exit_code == 0, res.output
    assert "kept onnx-fp32" in res.output
    assert (out / "model.onnx").is_file()


def test_user_mistakes_get_codes(
    torch_artifact: Path, compressed: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    from aimass.compress.chain import compress

    out, _ = compressed
    with pytest.raises(ArtifactError) as e:
        compress(torch_artifact, torch_artifact)
    assert e.value.code == "AM524"
    with pytest.raises(ArtifactError) as e:
        compress(out, tmp_path / "again")
    assert e.value.code == "AM523"
    res = CliRunner().invoke(
        app, ["compress", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 1 and "AM400" in res.output and "Traceback" not in res.output


def test_a_failed_compression_leaves_the_previous_output_intact(
    torch_artifact: Path, tmp_path: Path
) -> None:
    from aimass.compress.chain import compress

    out = tmp_path / "served"
    out.mkdir()
    (out / "marker").write_text("previous artifact")
    empty_dev = tmp_path / "empty.jsonl"
    empty_dev.write_text("")
    with pytest.raises(TrainingError) as e:
        compress(torch_artifact, out, dev=empty_dev, threads=1)
    assert e.value.code == "AM526"
    assert (out / "marker").read_text() == "previous artifact"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.jsonl", "served"]


def test_unknown_model_format_and_corrupt_onnx_are_refused(onnx_fp32: Path, tmp_path: Path) -> None:
    import shutil

    from aimass.runtime.assistant import Assistant

    future = tmp_path / "future"
    shutil.copytree(onnx_fp32, future)
    manifest = json.loads((future / "aimass-artifact.json").read_text(encoding="utf-8"))
    (future / "aimass-artifact.json").write_text(json.dumps({**manifest, "model_format": "gguf"}))
    with pytest.raises(ArtifactError) as e:
        Assistant.load(future)
    assert e.value.code == "AM401"
    broken = tmp_path / "broken"
    shutil.copytree(onnx_fp32, broken)
    (broken / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ArtifactError) as e:
        Assistant.load(broken)
    assert e.value.code == "AM402"


def test_load_predictor_picks_the_runtime_from_the_manifest(
    torch_artifact: Path, onnx_fp32: Path
) -> None:
    from aimass.runtime.onnx_predictor import OnnxPredictor
    from aimass.runtime.predictor import TorchPredictor, load_predictor

    assert isinstance(load_predictor(onnx_fp32), OnnxPredictor)
    assert isinstance(load_predictor(torch_artifact), TorchPredictor)


def test_a_matching_only_model_compresses_and_serves(tiny_backbones: Any, tmp_path: Path) -> None:
    """No intent head: the graph has only the embedding, the budget is spent on top-FAQ
    agreement, and the assistant still answers from the FAQ bank."""
    from aimass.compress.chain import compress
    from aimass.runtime.assistant import Assistant
    from aimass.training.data import MatchingData, TaskData
    from aimass.training.save import save_artifact
    from aimass.training.trainer import train
    from modelkit import FAQ_BANK, tiny_config

    data = TaskData(
        matching=MatchingData(bank=FAQ_BANK, queries=[(qs[0], f) for f, qs in FAQ_BANK.items()])
    )
    result = train(data, tiny_config(tiny_backbones("bert"), epochs=10), data, progress=False)
    faqs = [{"id": f, "questions": qs, "answer": f"{f} answer"} for f, qs in FAQ_BANK.items()]
    save_artifact(result, tmp_path / "faq-model", config={"train": {}}, runtime={"faqs": faqs})
    report = compress(tmp_path / "faq-model", tmp_path / "faq-onnx", threads=1, int8=False)
    assert report["budget_basis"] == "top-FAQ agreement with torch-fp32"
    bot = Assistant.load(tmp_path / "faq-onnx")
    assert not bot.predictor.has("intent") and not bot.predictor.has("profile")
    r = bot.respond("你们支持花呗吗")
    assert r.intents == [] and r.faqs and r.faqs[0].faq_id == "payment-huabei"


class DropTopLayer:
    """A torch stage for the hook's test: physically removes the encoder's last layer (what
    a pruning stage does, minus choosing by importance and recovering by distillation)."""

    name = "drop-top-layer"

    def apply(self, model: Any, enc: Any, files: Any) -> tuple[Any, Any]:
        import copy

        from torch import nn

        model = copy.deepcopy(model)
        layers = model.encoder.encoder.layer
        model.encoder.encoder.layer = nn.ModuleList(list(layers)[:-1])
        model.encoder.config.num_hidden_layers = len(layers) - 1
        return model, enc


def test_torch_stages_plug_in_before_export(torch_artifact: Path, tmp_path: Path) -> None:
    """Distillation and pruning plug in as torch stages: each is measured, the export is of
    the last one, and a stage that costs more than the budget is refused (AM527)."""
    from aimass.compress.chain import compress

    report = compress(
        torch_artifact,
        tmp_path / "pruned",
        threads=1,
        int8=False,
        max_accuracy_drop=100.0,
        stages=[DropTopLayer()],
    )
    names = [s["name"] for s in report["stages"]]
    assert names == ["torch-fp32", "drop-top-layer", "onnx-fp32"]
    pruned = report["stages"][1]
    assert pruned["model_mb"] < report["stages"][0]["model_mb"] and pruned["b1_ms"] > 0
    assert "intent_agreement" in pruned["metrics"]
    source = json.loads((torch_artifact / "encoder" / "config.json").read_text())
    served = json.loads((tmp_path / "pruned" / "encoder" / "config.json").read_text())
    assert served["num_hidden_layers"] == source["num_hidden_layers"] - 1
    with pytest.raises(TrainingError) as e:
        compress(
            torch_artifact,
            tmp_path / "refused",
            threads=1,
            int8=False,
            max_accuracy_drop=-1.0,  # nothing can meet a negative budget
            stages=[DropTopLayer()],
        )
    assert e.value.code == "AM527" and not (tmp_path / "refused").exists()


def test_candidates_are_judged_on_the_selection_set_and_reported_on_dev(
    torch_artifact: Path, dev_file: Path, tmp_path: Path
) -> None:
    """A benchmark selects on one dev half and reports on the other: the budget is spent on
    ``select_dev``, ``dev`` only measures; ``over_budget="keep-fp32"`` records a stage that
    misses the budget instead of failing the run."""
    from aimass.compress.chain import compress

    rows = [json.loads(x) for x in dev_file.read_text(encoding="utf-8").splitlines()]
    wrong = tmp_path / "wrong.jsonl"  # every label wrong: accuracy 0 here whatever the model
    labels = sorted({r["label"] for r in rows})
    wrong.write_text(
        "\n".join(
            json.dumps(
                {"text": r["text"], "label": labels[(labels.index(r["label"]) + 1) % len(labels)]}
            )
            for r in rows
        ),
        encoding="utf-8",
    )
    report = compress(
        torch_artifact,
        tmp_path / "selected",
        dev=wrong,
        select_dev=dev_file,
        threads=1,
        int8=False,
        max_accuracy_drop=-1.0,  # nothing meets it: the stage's fp32 export is kept anyway
        over_budget="keep-fp32",
        stages=[DropTopLayer()],
    )
    ref, stage, fp32 = report["stages"]
    assert report["budget_basis"].endswith("on the selection set")
    assert ref["metrics"]["intent_accuracy"] < 50  # dev: the mislabelled file
    assert ref["select_metrics"]["intent_accuracy"] > 50  # selection: the true labels
    assert stage["select_metrics"] and "accuracy_drop" in fp32["select_metrics"]
    assert fp32["status"] == "kept" and "although it loses" in fp32["reason"]
    assert (tmp_path / "selected" / "report.md").read_text(encoding="utf-8").count(
        "selection set"
    ) >= 3
