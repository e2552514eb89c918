"""Weighted multi-teacher distillation: fitted teacher weights beat the uniform average on
dev when one teacher is bad; teacher outputs are computed once; a layer-dropped student ends
close to its teacher; a student distilled from a teacher on unlabelled texts beats the same
student trained on the few labels alone; a trimmed vocabulary tokenises as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from aimass.errors import TrainingError
from modelkit import INTENT_ROWS, tiny_config

TEXTS = [t for t, _ in INTENT_ROWS]
LABELS = [lab for _, lab in INTENT_ROWS]


class TableTeacher:
    """A teacher whose logits are a fixed table per text (a real Teacher: the protocol is
    texts in, arrays out)."""

    def __init__(self, name: str, table: dict[str, np.ndarray]) -> None:
        self.name, self.table = name, table

    def identity(self) -> str:
        return self.name

    def outputs(self, texts: list[str]) -> dict[str, np.ndarray]:
        return {"intent_logits": np.stack([self.table[t] for t in texts]).astype(np.float32)}


def test_fitted_weights_beat_uniform_when_one_teacher_is_bad() -> None:
    from aimass.compress.distill import fit_weights, log_loss, mixture, softmax, teacher_weights

    rng = np.random.default_rng(0)
    n, c = 400, 5
    y = rng.integers(0, c, n)
    good = rng.normal(0, 1, (n, c))
    good[np.arange(n), y] += 3.0  # right most of the time
    bad = rng.normal(0, 3, (n, c))  # confident and unrelated to the label
    ok = rng.normal(0, 1, (n, c))
    ok[np.arange(n), y] += 1.0  # weakly right
    rep = teacher_weights(["good", "bad", "ok"], [good, bad, ok], y)
    w = dict(zip(["good", "bad", "ok"], rep.weights, strict=True))
    assert rep.source == "fitted on dev"
    assert w["bad"] < 0.05 and w["good"] > w["ok"] and abs(sum(w.values()) - 1) < 1e-9
    assert rep.weighted["nll"] < rep.uniform["nll"] - 0.1
    assert rep.as_dict()["weighted_beats_uniform_by_nll"] > 0.1
    # the EM fixed point is the minimum: no point of a simplex grid does better
    probs = [softmax(z) for z in (good, bad, ok)]
    fitted = log_loss(mixture(probs, fit_weights(probs, y)), y)
    grid = [(a, b, 1 - a - b) for a in np.linspace(0, 1, 21) for b in np.linspace(0, 1 - a, 21)]
    assert fitted <= min(log_loss(mixture(probs, g), y) for g in grid) + 1e-6


def test_given_weights_are_used_and_checked() -> None:
    from aimass.compress.distill import teacher_weights

    z = np.zeros((3, 2))
    rep = teacher_weights(["a", "b"], [z, z], np.array([0, 1, 0]), {"a": 3, "b": 1})
    assert rep.source == "given" and rep.weights == [0.75, 0.25]
    for bad in ({"c": 1.0}, {"a": 0.0, "b": 0.0}):
        with pytest.raises(TrainingError) as e:
            teacher_weights(["a", "b"], [z, z], None, bad)
        assert e.value.code == "AM530"


def test_teacher_outputs_are_computed_once_and_cached_on_disk(tmp_path: Path) -> None:
    from aimass.compress.distill import TeacherCache

    table = {t: np.arange(3, dtype=np.float32) + i for i, t in enumerate(TEXTS)}
    teacher = TableTeacher("table", table)
    cache = TeacherCache(tmp_path / "cache")
    first = cache.outputs(teacher, TEXTS)
    again = cache.outputs(teacher, TEXTS)
    assert cache.computed == 1 and again is first
    fresh = TeacherCache(tmp_path / "cache")  # another run: read back from disk
    np.testing.assert_array_equal(
        fresh.outputs(teacher, TEXTS)["intent_logits"], first["intent_logits"]
    )
    assert fresh.computed == 0
    fresh.outputs(teacher, TEXTS[:3])  # other texts: computed
    assert fresh.computed == 1
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2
    assert not list((tmp_path / "cache").glob(".tmp-*"))


@pytest.fixture(scope="module")
def teacher(tiny_backbones: Any) -> tuple[Any, Any]:
    """A tiny model fine-tuned on the intent rows: the teacher."""
    from aimass.training.data import IntentData, TaskData
    from aimass.training.trainer import train

    data = TaskData(intent=IntentData(TEXTS, LABELS))
    res = train(data, tiny_config(tiny_backbones("bert"), epochs=40), data, progress=False)
    return res.model, res.enc


def _cos(a: Any, b: Any, enc: Any) -> float:
    from aimass.model import predict

    x, y = predict.embeddings(a, enc, TEXTS), predict.embeddings(b, enc, TEXTS)
    return float((x * y).sum(1).mean())


def _fast(**over: Any) -> Any:
    from aimass.compress.distill import DistillConfig

    base = dict(epochs=30, batch_size=4, lr=3e-3, head_lr=1e-2, temperature=2.0, seed=3)
    return DistillConfig(**{**base, **over})


def test_a_layer_dropped_student_ends_close_to_its_teacher(teacher: tuple[Any, Any]) -> None:
    from aimass.compress.distill import DistillData, ModelTeacher, distill
    from aimass.compress.student import build_student
    from aimass.model import predict

    model, enc = teacher
    data = DistillData.of((TEXTS, LABELS), (TEXTS, LABELS))
    student, rep = build_student(model, layers=1)
    assert rep.removed_layers == [0] and len(student.encoder.encoder.layer) == 1
    start = _cos(student, model, enc)
    res = distill(student, enc, [ModelTeacher(model, enc)], data, _fast())
    agree = (
        predict.intent_probabilities(res.model, enc, TEXTS).argmax(1)
        == predict.intent_probabilities(model, enc, TEXTS).argmax(1)
    ).mean()
    assert (
        agree == 1.0
        and res.dev["accuracy"] == 100.0
        and 1 - _cos(res.model, model, enc) < (1 - start) / 5
    )
    assert res.weights["intent"]["weights"] == {"model": 1.0}
    # On a tiny random backbone one layer barely matters; with the kept layer's weights
    # forgotten, it is the distillation that brings the student back to its teacher.
    forgot, _ = build_student(model, layers=1)
    torch.manual_seed(0)
    forgot.encoder.encoder.layer.apply(forgot.encoder._init_weights)
    before = _cos(forgot, model, enc)
    after = _cos(distill(forgot, enc, [ModelTeacher(model, enc)], data, _fast()).model, model, enc)
    assert 1 - after < (1 - before) / 10, (before, after)


def test_distillation_beats_labels_only_with_unlabelled_texts(teacher: tuple[Any, Any]) -> None:
    """One labelled message per intent, the rest unlabelled: the distilled student learns
    the teacher's answers on them; the labels-only one cannot. Both start from the same
    re-initialised one-layer student and train with the same settings."""
    from aimass.compress.distill import LABELS_ONLY, DistillData, ModelTeacher, distill
    from aimass.compress.student import build_student

    model, enc = teacher
    seed, _ = build_student(model, layers=1)
    torch.manual_seed(0)
    seed.encoder.apply(seed.encoder._init_weights)  # forget what the teacher's layers knew
    torch.nn.init.normal_(seed.heads["intent"].classifier.weight, std=0.02)
    first = {lab: t for t, lab in reversed(INTENT_ROWS)}
    labelled = ([first[lab] for lab in sorted(first)], sorted(first))
    data = DistillData.of(labelled, (TEXTS, LABELS), unlabelled=TEXTS)
    assert sum(lab is None for lab in data.labels) == len(TEXTS) - len(first)
    import copy

    distilled = distill(copy.deepcopy(seed), enc, [ModelTeacher(model, enc)], data, _fast())
    alone = distill(copy.deepcopy(seed), enc, [], data, _fast(), loss_weights=LABELS_ONLY)
    assert alone.weights == {} and alone.loss_weights["soft"] == 0.0
    assert distilled.dev["accuracy"] > alone.dev["accuracy"], (distilled.dev, alone.dev)
    assert distilled.dev["accuracy"] >= 90.0


def test_a_student_needs_an_intent_head_and_a_teacher(teacher: tuple[Any, Any]) -> None:
    from aimass.compress.distill import DistillData, distill

    model, enc = teacher
    with pytest.raises(TrainingError) as e:
        distill(model, enc, [], DistillData.of((TEXTS, LABELS)), _fast(epochs=1))
    assert e.value.code == "AM530"


def test_trimmed_student_vocabulary_tokenises_as_before(tiny_backbones: Any) -> None:
    """Texts inside the kept pieces tokenise to the same pieces and embed identically;
    other text still tokenises (single characters are always kept)."""
    from aimass.compress.student import trim_student_vocabulary
    from aimass.encoders.backbone import load_backbone
    from aimass.heads import IntentHead, MatchingHead
    from aimass.model import predict
    from aimass.model.multitask import MultiTaskModel
    from aimass.model.textenc import TextEncoder

    encoder, tok, _ = load_backbone(tiny_backbones("xlm-roberta"))
    model = MultiTaskModel(
        encoder, {"intent": IntentHead(["a", "b"], 32), "matching": MatchingHead(32)}
    )
    enc = TextEncoder(tok)
    before = predict.embeddings(model, enc, TEXTS)
    size = model.encoder.get_input_embeddings().weight.shape[0]
    new_enc, stats = trim_student_vocabulary(model, enc, TEXTS[:6], reserve=0)
    assert stats["vocab_after"] < stats["vocab_before"] == size
    assert model.encoder.get_input_embeddings().weight.shape[0] == stats["vocab_after"]
    for t in TEXTS[:6]:
        assert new_enc.tokenizer.tokenize(t) == tok.tokenize(t)
    np.testing.assert_allclose(predict.embeddings(model, new_enc, TEXTS[:6]), before[:6], atol=1e-5)
    unk_old, unk_new = tok.unk_token_id, new_enc.tokenizer.unk_token_id
    for t in [*TEXTS[6:], "完全没见过的句子 zebra quantum 🙂"]:
        old, new = tok(t)["input_ids"], new_enc.tokenizer(t)["input_ids"]
        assert len(new) >= len(old)  # shorter pieces, never fewer
        assert new.count(unk_new) == old.count(unk_old)  # and no new unknowns


def test_cli_builds_a_distilled_student(
    torch_artifact: Path, dev_file: Path, tmp_path: Path
) -> None:
    from aimass.cli.main import app

    out = tmp_path / "student"
    args = ["compress", str(torch_artifact), "--out", str(out), "--no-int8", "--threads", "1"]
    res = CliRunner().invoke(app, [*args, "--layers", "1"])
    assert res.exit_code == 1 and "AM532" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(
        app,
        [*args, "--layers", "1", "--prune-ffn", "0.5", "--train", str(dev_file), "--dev",
         str(dev_file), "--distill-epochs", "2", "--max-accuracy-drop", "100",
         "--augment", "1", "--no-fuse-teacher-experts"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    name = "student-L1-ffn-0.5"
    assert [s["name"] for s in report["stages"]][:3] == ["torch-fp32", name, "onnx-fp32"]
    sr = report["stage_reports"][name]
    assert sr["ffn"] == 32 and sr["params_after"] < sr["params_before"]
    assert set(sr["teacher_weights"]["intent"]["weights"]) == {"model", "lexical"}
    assert {"weighted", "uniform"} <= sr["teacher_weights"]["intent"].keys()
    served = json.loads((out / "encoder" / "config.json").read_text(encoding="utf-8"))
    assert served["num_hidden_layers"] == 1 and served["intermediate_size"] == 32
    # rewrites of the training messages joined the transfer set
    assert sr["transfer_texts"] > 0
    # asked to, the student is served without the lexical expert it learned from (the
    # teacher artifact fuses it, with weight 0.5)
    assert sr["experts_fused"] == []
    cal = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    assert not cal.get("expert_weights", {}).get("lexical")


def test_transfer_texts_are_seeded_rewrites_never_copies() -> None:
    from aimass.compress.transfer import transfer_texts

    texts = ["我想退货怎么办", "你们支持花呗吗", "how do I return an item", "where is my parcel"]
    out = transfer_texts(texts, 2, seed=3)
    assert out == transfer_texts(texts, 2, seed=3)  # same seed, same set
    assert len(out) >= len(texts) and len(out) == len(set(out)) <= 2 * len(texts)
    assert not set(out) & set(texts)
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in out)  # Chinese rewritten too
    assert transfer_texts(texts, 0) == [] and transfer_texts([], 2) == []


def test_a_student_with_a_trimmed_vocabulary_is_served_from_onnx(
    tiny_backbones: Any, tmp_path: Path
) -> None:
    """The whole student path on a SentencePiece (XLM-R) backbone: fewer layers, the
    vocabulary trimmed to the bot's texts, distilled, exported with parity, served by the
    assistant with the trimmed tokenizer."""
    from aimass.compress.chain import compress
    from aimass.compress.student import StageData, StudentStage
    from aimass.runtime.assistant import Assistant
    from aimass.training.data import IntentData, TaskData
    from aimass.training.save import save_artifact
    from aimass.training.trainer import train

    data = TaskData(intent=IntentData(TEXTS, LABELS))
    res = train(data, tiny_config(tiny_backbones("xlm-roberta"), epochs=30), data, progress=False)
    save_artifact(res, tmp_path / "model", config={"train": {}}, runtime={})
    before = json.loads((tmp_path / "model" / "encoder" / "tokenizer.json").read_text("utf-8"))
    stage = StudentStage(
        StageData((TEXTS, LABELS), (TEXTS, LABELS)),
        layers=1,
        vocab_reserve=0,
        config=_fast(epochs=10),
        artifact=tmp_path / "model",
    )
    out = tmp_path / "served"
    report = compress(
        tmp_path / "model", out, threads=1, int8=False, max_accuracy_drop=100.0, stages=[stage]
    )
    vocab = report["stage_reports"]["student"]["vocab"]
    assert vocab["vocab_after"] < vocab["vocab_before"] == len(before["model"]["vocab"])
    served = json.loads((out / "encoder" / "tokenizer.json").read_text("utf-8"))
    assert len(served["model"]["vocab"]) == vocab["vocab_after"]
    parity = report["stages"][2]["parity"]
    assert parity["embedding_min_cosine"] >= 0.999 and parity["intent_top1_agreement"] >= 0.99
    bot = Assistant.load(out)
    got = [r.intents[0].name for r in bot.respond_many(TEXTS)]
    assert np.mean([g == lab for g, lab in zip(got, LABELS, strict=True)]) >= 0.9
    assert bot.respond("完全没见过的句子 zebra 🙂").intents  # unseen text still tokenises


def test_a_changed_model_never_reads_another_models_cached_outputs(
    teacher: tuple[Any, Any], tmp_path: Path
) -> None:
    """A stage's input model keeps the artifact's version string after an earlier stage
    changed it; its cached teacher outputs must still be its own."""
    from aimass.compress.distill import ModelTeacher, TeacherCache
    from aimass.compress.student import build_student

    model, enc = teacher
    cache = TeacherCache(tmp_path)
    full = cache.outputs(ModelTeacher(model, enc, version="v1"), TEXTS)
    pruned = cache.outputs(ModelTeacher(build_student(model, layers=1)[0], enc, "v1"), TEXTS)
    assert cache.computed == 2
    assert not np.allclose(full["intent_logits"], pruned["intent_logits"])


def test_cli_trains_a_student_as_served(
    torch_artifact: Path, dev_file: Path, tmp_path: Path
) -> None:
    """--as-served: the student learns fused with the artifact's lexical expert (weight 0.5),
    which the served fusion then keeps; the report says so."""
    from aimass.cli.main import app

    out = tmp_path / "student"
    res = CliRunner().invoke(
        app,
        ["compress", str(torch_artifact), "--out", str(out), "--no-int8", "--threads", "1",
         "--layers", "1", "--train", str(dev_file), "--dev", str(dev_file),
         "--distill-epochs", "2", "--max-accuracy-drop", "100", "--as-served"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    sr = report["stage_reports"]["student-L1"]
    # without a student to train, the flag is a mistake, not silently ignored
    alone = CliRunner().invoke(
        app, ["compress", str(torch_artifact), "--out", str(tmp_path / "o"), "--as-served"]
    )
    assert alone.exit_code == 1 and "AM529" in alone.output and "Traceback" not in alone.output
    assert "--layers" in alone.output and not (tmp_path / "o").exists()
    assert sr["as_served"] is True and sr["experts_fused"] == ["lexical"]
    assert sr["soft_temperature"] == 1.0  # the fusion is matched where it is served
    assert sr["dev"]["accuracy"] >= 50.0


def test_a_time_capped_run_fits_its_schedule_to_the_cap_and_anneals(
    teacher: tuple[Any, Any],
) -> None:
    """A cap far below what the epochs need: the schedule is shortened to the steps that
    fit, so the run stops early with its learning rate decayed, not cut at full rate."""
    from aimass.compress.distill import DistillData, ModelTeacher, distill
    from aimass.compress.student import build_student

    model, enc = teacher
    data = DistillData.of((TEXTS, LABELS), (TEXTS, LABELS))
    student, _ = build_student(model, layers=1)
    cfg = _fast(epochs=100_000, max_minutes=0.02)
    res = distill(student, enc, [ModelTeacher(model, enc)], data, cfg)
    planned = 100_000 * -(-len(TEXTS) // cfg.batch_size)
    last = res.history[-1]
    assert last["step"] < planned / 100 and last["of"] == last["step"]
    assert last["lr"] < cfg.lr * 0.2, res.history[-3:]


def test_a_student_trained_as_served_is_chosen_by_log_loss() -> None:
    """Fused with strong experts, the untrained student's accuracy on a few hundred dev
    messages is rarely beaten by one message; the checkpoint whose fused log-loss is lower
    wins, and accuracy breaks exact ties. Without the fusion, accuracy still comes first."""
    from aimass.compress.distill import _better

    start = {"accuracy": 93.77, "nll": 0.450}
    trained = {"accuracy": 93.64, "nll": 0.377}
    assert _better(trained, start, nll_first=True) and not _better(start, trained, nll_first=True)
    assert not _better(trained, start) and _better(start, trained)
    tie = {"accuracy": 93.90, "nll": 0.377}
    assert _better(tie, trained, nll_first=True)


def test_the_embedding_is_distilled_only_where_something_is_matched_by_it() -> None:
    """An intents-only artifact (no FAQ, no knowledge base) matches nothing by embedding:
    its student spends no loss on keeping the teacher's embedding."""
    from types import SimpleNamespace

    from aimass.compress.student import StudentStage

    weights = StudentStage._loss_weights
    assert weights(SimpleNamespace(runtime={"faqs": [], "kb": []})) == {"embed": 0.0}
    assert weights(SimpleNamespace(runtime={"faqs": [{"id": "f", "questions": ["q"]}]})) is None
    assert weights(SimpleNamespace(runtime={"kb": [{"id": "d"}]})) is None
