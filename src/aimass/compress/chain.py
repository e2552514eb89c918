"""``aimass compress``: a trained artifact in, a smaller and faster ONNX artifact out.

The chain, each stage measured on this CPU (model size, latency at batch 1 and 32 with
tokenisation, every task's metric) against the torch model it started from:

1. ``torch-fp32``       the trained artifact as it is (the reference)
2. torch stages         models changed in torch before export, in order: the hook where
                        distillation into a smaller student and structured pruning plug in
                        (``TorchStage``: ``student.StudentStage``, ``student.PruneStage``)
3. ``onnx-fp32``        ONNX export of the last torch model; must reproduce it (parity:
                        embedding cosine >= 0.999 and >= 99 % top-intent agreement) or the
                        chain stops with AM525
4. ``onnx-int8*``       dynamic int8 candidates (quantize.py), each rejected if it is not
                        faster than onnx-fp32 at batch 1 and 32, or if it loses more than
                        the accuracy budget

Kept: the fastest (then smallest) accepted ONNX candidate, written atomically as a new
artifact folder (manifest ``"model_format": "onnx"``) with ``report.json`` and
``report.md``. The accuracy budget is in points of intent accuracy on ``dev`` when given,
otherwise in points of top-intent agreement with the torch model on probe texts (the
report says which).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from aimass.compress.layout import ONNX_FILE, ONNX_META
from aimass.compress.quantize import CANDIDATES, interleaved_latency, quantize_int8, size_mb
from aimass.errors import ArtifactError, TrainingError, require
from aimass.model.artifact import (
    MANIFEST,
    AtomicDirectory,
    check_artifact,
    file_digest,
    model_format_of,
    write_json,
)

log = logging.getLogger(__name__)

# Parity an ONNX fp32 export must reach to be served instead of the torch model.
MIN_COSINE = 0.999
MIN_AGREEMENT = 0.99
COPIED = ("config.json", "heads.json", "labels.json", "metrics.json", "calibration.json",
          "runtime.json")  # fmt: skip


class TorchStage(Protocol):
    """A step that returns a changed torch model (distillation, pruning, ...). Stages run
    in order before export; each result is measured like every other stage."""

    name: str

    def apply(self, model: Any, enc: Any, files: Any) -> tuple[Any, Any]: ...


@dataclass
class StageResult:
    name: str
    runtime: str  # "torch" or "onnxruntime"
    model_mb: float
    artifact_mb: float
    b1_ms: float
    b32_ms: float
    metrics: dict[str, Any]
    parity: dict[str, Any] = field(default_factory=dict)
    status: str = "candidate"  # reference | kept | accepted | rejected
    reason: str = ""
    # The same metrics on the selection set when one is given: the budget is spent on these,
    # so that ``metrics`` (on ``dev``) stay an unbiased report of the kept candidate.
    select_metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class EvalSet:
    texts: list[str]
    gold: list[str] | None  # intent labels when a dev file was given
    faq_ids: list[str]
    faq_variants: list[str]
    basis: str = "intent_accuracy"  # the metric the budget is spent on (set from the model)

    @property
    def budget_basis(self) -> str:
        return BASES.get(self.basis, self.basis)


BASES = {
    "intent_accuracy": "dev intent accuracy",
    "intent_agreement": "top-intent agreement with torch-fp32",
    "faq_top1_agreement": "top-FAQ agreement with torch-fp32",
    "embedding_agreement": "embedding cosine to torch-fp32 (x100)",
}


def compress(
    artifact: Path,
    out: Path,
    *,
    dev: Path | None = None,
    select_dev: Path | None = None,
    max_accuracy_drop: float = 1.0,
    over_budget: str = "raise",
    threads: int | None = None,
    int8: bool = True,
    stages: Sequence[TorchStage] = (),
    bench_texts: list[str] | None = None,
    baselines: dict[str, Callable[[list[str]], Any]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the chain; write the kept candidate to ``out``; return the report.

    ``select_dev``: labelled messages the candidates are judged on (the budget) when it
    should not be ``dev``: a benchmark reports on held-back ``dev`` and selects on another
    half. ``over_budget``: what happens when a torch stage leaves no candidate within the
    budget: ``"raise"`` (AM527, the CLI) or ``"keep-fp32"`` (keep the stage's fp32 export and
    say so in the report: a benchmark records the failure instead of losing the run).

    ``bench_texts`` are the messages latency is measured on (default: the first 64 of the
    dev or probe texts); ``baselines`` are other models (text list in, anything out) timed
    in turns with the stages, reported under ``"baselines"`` (a benchmark's reference)."""
    import torch

    for module in ("onnx", "onnxruntime", "tokenizers"):
        require(module, "onnx")  # AM900 with the pip line, not an ImportError mid-chain
    say = progress or (lambda _m: None)
    artifact, out = Path(artifact), Path(out)
    _check_paths(artifact, out)
    threads = threads or min(4, os.cpu_count() or 1)
    torch.set_num_threads(threads)

    from aimass.compress.export import PROBE_TEXTS, export_onnx, parity, torch_runner, write_meta
    from aimass.runtime.predictor import TorchPredictor

    reference = TorchPredictor(artifact)
    evalset = _eval_set(reference.files.runtime, dev)
    bench_texts = bench_texts or [t for t in evalset.texts + PROBE_TEXTS if len(t) < 100][:64]
    say(f"torch-fp32: measuring on {len(evalset.texts)} texts")
    ref_out = _predictions(reference, evalset)
    selset = _eval_set(reference.files.runtime, select_dev) if select_dev is not None else None
    ref_sel = _predictions(reference, selset) if selset is not None else {}

    def select_metrics(pred: Any) -> dict[str, Any]:
        if selset is None:
            return {}
        return _metrics(_predictions(pred, selset), ref_sel, selset)

    runners: dict[str, Callable[[list[str]], Any]] = dict(baselines or {})
    runners["torch-fp32"] = torch_runner(reference.model, reference.enc)
    results = [
        StageResult(
            "torch-fp32",
            "torch",
            size_mb(artifact / "model.safetensors"),
            size_mb(artifact),
            0.0,
            0.0,
            metrics=_metrics(ref_out, ref_out, evalset),
            status="reference",
            select_metrics=_metrics(ref_sel, ref_sel, selset) if selset is not None else {},
        )
    ]
    evalset.basis = _basis(results[0].metrics)
    model, enc = reference.model, reference.enc
    files = reference.files
    calibration: dict[str, Any] | None = None  # a stage's own (a student's), once refitted
    stage_reports: dict[str, dict[str, Any]] = {}
    for stage in stages:  # distillation / pruning plug in here
        say(f"{stage.name}: running")
        model, enc = stage.apply(model, enc, files)
        runners[stage.name] = torch_runner(model, enc)
        staged = copy.copy(reference)  # the same predictor (experts, calibration), new model
        staged.model, staged.enc = model, enc
        if getattr(stage, "calibration", None):  # a student's logits need their own
            calibration = dict(stage.calibration)  # type: ignore[attr-defined]
            files = dataclasses.replace(files, calibration=calibration)
            staged.files, staged.experts = files, _served_experts(artifact, calibration)
        stage_reports[stage.name] = dict(getattr(stage, "report", {}) or {})
        mb = sum(t.numel() * t.element_size() for t in model.state_dict().values()) / 1e6
        results.append(
            StageResult(
                stage.name,
                "torch",
                round(mb, 3),
                0.0,
                0.0,
                0.0,
                metrics=_metrics(_predictions(staged, evalset), ref_out, evalset),
                status="stage",
                select_metrics=select_metrics(staged),
            )
        )

    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".work-{out.name}-", dir=out.parent))
    try:
        say("onnx-fp32: exporting")
        fp32_dir = work / "onnx-fp32"
        _base_folder(artifact, fp32_dir, calibration)
        meta = export_onnx(model, enc, fp32_dir)
        write_meta(fp32_dir, meta)
        _write_manifest(artifact, fp32_dir, "onnx-fp32")
        probe = PROBE_TEXTS + evalset.texts[:54]
        candidates = [("onnx-fp32", fp32_dir)]
        if int8:
            for cand in CANDIDATES:
                say(f"{cand.name}: quantising")
                folder = work / cand.name
                _base_folder(artifact, folder, calibration)
                shutil.copytree(fp32_dir / "encoder", folder / "encoder", dirs_exist_ok=True)
                shutil.copy2(fp32_dir / ONNX_META, folder / ONNX_META)
                quantize_int8(fp32_dir / ONNX_FILE, folder / ONNX_FILE, cand)
                _write_manifest(artifact, folder, cand.name)
                candidates.append((cand.name, folder))

        torch_run = torch_runner(model, enc)
        for name, folder in candidates:
            say(f"{name}: measuring")
            pred = _onnx_predictor(folder, threads)

            def run(t: list[str], p: Any = pred) -> Any:
                return p.outputs(t, cache=False)

            runners[name] = run
            res = StageResult(
                name,
                "onnxruntime",
                size_mb(folder / ONNX_FILE),
                size_mb(folder),
                0.0,
                0.0,
                metrics=_metrics(_predictions(pred, evalset), ref_out, evalset),
                parity=parity(torch_run, run, probe),
                select_metrics=select_metrics(pred),
            )
            results.append(res)
        say(f"latency of {len(runners)} models, measured in turns")
        latency = interleaved_latency(runners, bench_texts)
        for r in results:
            r.b1_ms, r.b32_ms = latency[r.name]["b1_ms"], latency[r.name]["b32_ms"]
        _judge(results, max_accuracy_drop, evalset, over_budget)
        kept = next(r for r in results if r.status == "kept")
        report = _report(artifact, out, results, kept, evalset, max_accuracy_drop, threads)
        report["baselines"] = {n: latency[n] for n in baselines or {}}
        report["stage_reports"] = stage_reports
        with AtomicDirectory(out) as tmp:
            shutil.copytree(work / kept.name, tmp, dirs_exist_ok=True)
            meta = json.loads((tmp / ONNX_META).read_text(encoding="utf-8"))
            meta["parity"] = kept.parity
            meta["stage"] = kept.name
            write_json(tmp / ONNX_META, meta)
            write_json(tmp / "report.json", report)
            (tmp / "report.md").write_text(render_markdown(report), encoding="utf-8")
            plot_report(report, tmp / "report.png")
            manifest = json.loads((tmp / MANIFEST).read_text(encoding="utf-8"))
            (tmp / MANIFEST).unlink()
            write_json(tmp / MANIFEST, manifest)  # last: its presence means complete
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"kept {kept.name}: written to {out}")
    return report


# ------------------------------------------------------------------ checks and folders


def _check_paths(artifact: Path, out: Path) -> None:
    check_artifact(artifact)
    if model_format_of(artifact) != "torch":
        raise ArtifactError(
            f"{artifact} is already a compressed ({model_format_of(artifact)}) artifact",
            code="AM523",
            hint="compress the torch artifact written by `aimass train`",
        )
    if out.absolute() == artifact.absolute():
        raise ArtifactError(
            "the output folder is the artifact being compressed",
            code="AM524",
            hint="pass another folder with --out; the original stays as the reference",
        )


def _base_folder(artifact: Path, folder: Path, calibration: dict[str, Any] | None = None) -> None:
    """The parts every candidate shares with the source artifact (JSON, experts); a
    torch stage's own calibration (a student's) replaces the artifact's."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        if (artifact / name).exists():
            shutil.copy2(artifact / name, folder / name)
    if calibration is not None:
        write_json(folder / "calibration.json", calibration)
    if (artifact / "experts").is_dir():
        shutil.copytree(artifact / "experts", folder / "experts", dirs_exist_ok=True)
    if (artifact / "encoder").is_dir():  # config + tokenizer files, for reference and tools
        shutil.copytree(artifact / "encoder", folder / "encoder", dirs_exist_ok=True)


def _served_experts(artifact: Path, calibration: dict[str, Any]) -> dict[str, Any]:
    from aimass.model.experts import load_expert

    weights = calibration.get("expert_weights", {})
    return {n: load_expert(artifact / "experts" / n) for n, w in weights.items() if w}


def _write_manifest(artifact: Path, folder: Path, stage: str) -> None:
    src = json.loads((artifact / MANIFEST).read_text(encoding="utf-8"))
    manifest = {
        **src,
        "model_format": "onnx",
        "model_version": file_digest(folder / ONNX_FILE),
        "compressed_from": src.get("model_version", ""),
        "compression": stage,
    }
    write_json(folder / MANIFEST, manifest)


def _onnx_predictor(folder: Path, threads: int) -> Any:
    from aimass.runtime.onnx_predictor import OnnxPredictor

    return OnnxPredictor(folder, threads=threads)


# ------------------------------------------------------------------ measuring


def _eval_set(runtime: dict[str, Any], dev: Path | None) -> EvalSet:
    from aimass.compress.export import PROBE_TEXTS

    faqs = [f for f in runtime.get("faqs", []) if f.get("questions")]
    faq_ids = [f["id"] for f in faqs for _ in f["questions"]]
    variants = [q for f in faqs for q in f["questions"]]
    if dev is not None:
        from aimass.evaluation.evaluate import read_labelled

        texts, gold = read_labelled(Path(dev))
        if not texts:
            raise TrainingError(f"{dev} has no labelled examples", code="AM526", file=str(dev))
        return EvalSet(texts, gold, faq_ids, variants)
    return EvalSet(PROBE_TEXTS + variants[:190], None, faq_ids, variants)


def _predictions(pred: Any, ev: EvalSet) -> dict[str, Any]:
    from aimass.config.project import Thresholds
    from aimass.runtime.scope import decide_texts

    out: dict[str, Any] = {}
    if pred.has("intent"):
        # the runtime's own out-of-scope rule, so a candidate is judged as it will be served
        thresholds = Thresholds.model_validate(pred.files.runtime.get("thresholds", {}))
        _, _, decided = decide_texts(pred, ev.texts, thresholds)
        out["intent"] = [d[0] for d in decided]
        out["intent_conf"] = [d[1] for d in decided]
    if pred.has("profile"):
        tag = Thresholds.model_validate(pred.files.runtime.get("thresholds", {})).tag
        out["profile"] = pred.tag_probabilities(ev.texts) >= tag
    emb = pred.embed(ev.texts)
    out["embedding"] = emb
    if ev.faq_variants:
        bank = pred.embed(ev.faq_variants)
        out["faq"] = [ev.faq_ids[j] for j in (emb @ bank.T).argmax(1)]
    return out


def _metrics(got: dict[str, Any], ref: dict[str, Any], ev: EvalSet) -> dict[str, Any]:
    """Every task's metric: intent accuracy on dev (when given) and, for every task, the
    agreement with the torch model (intent decision, tag decisions, top FAQ, embedding)."""
    m: dict[str, Any] = {"n": len(ev.texts)}
    if "intent" in got:
        if ev.gold:
            from aimass.evaluation.metrics import intent_metrics

            im = intent_metrics(ev.gold, got["intent"], np.array(got["intent_conf"]))
            m["intent_accuracy"] = round(100 * float(im["accuracy"]), 2)
            m["intent_macro_f1"] = round(100 * float(im["macro_f1"]), 2)
        same = np.array(got["intent"]) == np.array(ref["intent"])
        m["intent_agreement"] = round(100 * float(same.mean()), 2)
    if "profile" in got:
        m["profile_agreement"] = round(100 * float((got["profile"] == ref["profile"]).mean()), 2)
    if "faq" in got:
        same = np.array(got["faq"]) == np.array(ref["faq"])
        m["faq_top1_agreement"] = round(100 * float(same.mean()), 2)
    a, b = got["embedding"], ref["embedding"]
    m["embedding_min_cosine"] = round(float(np.min(np.sum(a * b, 1))), 6)
    return m


def _basis(m: dict[str, Any]) -> str:
    """Which metric the accuracy budget is spent on, given what the model has."""
    for key in ("intent_accuracy", "intent_agreement", "faq_top1_agreement"):
        if key in m:
            return key
    return "embedding_agreement"


def _score(m: dict[str, Any], ev: EvalSet) -> float:
    """The number the accuracy budget is spent on (percent)."""
    if ev.basis == "embedding_agreement":
        return 100 * float(m["embedding_min_cosine"])
    return float(m[ev.basis])


def _judge(
    results: list[StageResult], budget: float, ev: EvalSet, over_budget: str = "raise"
) -> None:
    """Mark each ONNX candidate accepted/rejected (with the reason) and keep the best; the
    budget is spent on the selection set's metrics when there are any."""
    ref = results[0]
    fp32 = next(r for r in results if r.name == "onnx-fp32")
    p = fp32.parity
    if p["embedding_min_cosine"] < MIN_COSINE or p.get("intent_top1_agreement", 1.0) < (
        MIN_AGREEMENT
    ):
        raise TrainingError(
            f"the ONNX export does not reproduce the torch model (embedding cosine "
            f"{p['embedding_min_cosine']:.5f}, top-intent agreement "
            f"{p.get('intent_top1_agreement', 1.0):.3f})",
            code="AM525",
            hint="report this model family; the torch artifact still serves",
        )
    judged = (lambda r: r.select_metrics) if ref.select_metrics else (lambda r: r.metrics)
    where = " on the selection set" if ref.select_metrics else ""
    base, base_report = _score(judged(ref), ev), _score(ref.metrics, ev)
    for r in results:
        if r.runtime != "onnxruntime":
            continue
        drop = round(base - _score(judged(r), ev), 2)
        r.metrics["accuracy_drop"] = round(base_report - _score(r.metrics, ev), 2)
        if ref.select_metrics:
            r.select_metrics["accuracy_drop"] = drop
        if drop > budget:
            r.status, r.reason = "rejected", f"loses {drop} points of {ev.budget_basis}{where}"
        elif r is not fp32 and not (r.b1_ms < fp32.b1_ms and r.b32_ms < fp32.b32_ms):
            r.status = "rejected"
            r.reason = (
                f"not faster than onnx-fp32 ({r.b1_ms} vs {fp32.b1_ms} ms at batch 1, "
                f"{r.b32_ms} vs {fp32.b32_ms} ms at batch 32)"
            )
        else:
            r.status = "accepted"
    accepted = [r for r in results if r.status == "accepted"]
    if not accepted and any(r.status == "stage" for r in results) and over_budget == "raise":
        raise TrainingError(
            f"no compressed candidate stays within {budget} points of {ev.budget_basis}: "
            + "; ".join(f"{r.name} {r.reason}" for r in results if r.status == "rejected"),
            code="AM527",
            hint="allow a larger drop with --max-accuracy-drop, or leave out the stage that "
            "loses accuracy",
        )
    if not accepted:  # the fp32 export is the model itself (parity passed): serve it
        over = fp32.status == "rejected"
        fp32.status = "kept"
        fp32.reason = "no candidate within the budget; fp32 ONNX kept" + (
            f" although it {fp32.reason}" if over else ""
        )
        return
    best = min(accepted, key=lambda r: (r.b1_ms, r.model_mb))
    best.status = "kept"
    best.reason = best.reason or "fastest accepted candidate at batch 1"


# ------------------------------------------------------------------ report


def _report(
    artifact: Path,
    out: Path,
    results: list[StageResult],
    kept: StageResult,
    ev: EvalSet,
    budget: float,
    threads: int,
) -> dict[str, Any]:
    ref = results[0]
    return {
        "source": str(artifact),
        "output": str(out),
        "kept": kept.name,
        "max_accuracy_drop": budget,
        "budget_basis": ev.budget_basis + (" on the selection set" if ref.select_metrics else ""),
        "threads": threads,
        "cpu_count": os.cpu_count(),
        "speedup_b1_vs_torch": round(ref.b1_ms / kept.b1_ms, 2) if kept.b1_ms else None,
        "speedup_b32_vs_torch": round(ref.b32_ms / kept.b32_ms, 2) if kept.b32_ms else None,
        "size_ratio_vs_torch": round(ref.model_mb / kept.model_mb, 2) if kept.model_mb else None,
        "stages": [asdict(r) for r in results],
        "not_done": [
            "static int8 quantisation",
        ],
    }


def plot_report(report: dict[str, Any], path: Path) -> bool:
    """Size against batch-1 latency, one point per stage, labelled with its accuracy
    number; skipped (False) when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for s in report["stages"]:
        if not s["model_mb"]:
            continue
        kept = s["name"] == report["kept"]
        colour = "tab:green" if kept else "tab:red" if s["status"] == "rejected" else "tab:blue"
        ax.scatter(s["b1_ms"], s["model_mb"], s=80 if kept else 40, color=colour)
        acc = s["metrics"].get("intent_accuracy", s["metrics"].get("intent_agreement"))
        ax.annotate(
            f"{s['name']}" + (f" ({acc})" if acc is not None else ""),
            (s["b1_ms"], s["model_mb"]),
            textcoords="offset points",
            xytext=(5, 5),
            fontsize=8,
        )
    ax.set_xlabel("latency at batch 1 (ms per message)")
    ax.set_ylabel("model size (MB)")
    ax.set_title(f"compression stages; accuracy = {report['budget_basis']}", fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def describe_metrics(stage: dict[str, Any]) -> str:
    """A stage's metrics as one table cell, the selection set's after a semicolon."""
    text = ", ".join(f"{k} {v}" for k, v in stage["metrics"].items() if k != "n")
    sel = stage.get("select_metrics") or {}
    keys = ("intent_accuracy", "intent_agreement", "accuracy_drop")
    if sel:
        text += "; selection set: " + ", ".join(f"{k} {sel[k]}" for k in keys if k in sel)
    return text


def render_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Compression report",
        "",
        f"Source `{report['source']}`; kept **{report['kept']}** "
        f"({report['speedup_b1_vs_torch']}x faster at batch 1, "
        f"{report['speedup_b32_vs_torch']}x at batch 32, "
        f"{report['size_ratio_vs_torch']}x smaller model file than torch-fp32). "
        f"Accuracy budget: {report['max_accuracy_drop']} points of {report['budget_basis']}. "
        f"Latency: ms per sentence with tokenisation, {report['threads']} thread(s).",
        "",
        "| stage | runtime | model MB | artifact MB | ms b1 | ms b32 | metrics | status |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for s in report["stages"]:
        metrics = describe_metrics(s)
        status = s["status"] + (f": {s['reason']}" if s["reason"] else "")
        lines.append(
            f"| {s['name']} | {s['runtime']} | {s['model_mb']} | {s['artifact_mb']} | "
            f"{s['b1_ms']} | {s['b32_ms']} | {metrics} | {status} |"
        )
    parity: dict[str, Any] = next(
        (s["parity"] for s in report["stages"] if s["name"] == "onnx-fp32"), {}
    )
    if parity:
        lines += ["", "ONNX fp32 vs torch parity: " + json.dumps(parity)]
    for name, rep in (report.get("stage_reports") or {}).items():
        if rep:  # what a torch stage did (student, pruning, teacher weights), as it said
            lines += ["", f"Stage {name}: `" + json.dumps(rep, ensure_ascii=False) + "`"]
    lines += ["", "![size against latency](report.png)"]
    lines += ["", "Not done yet: " + "; ".join(report["not_done"]) + ".", ""]
    return "\n".join(lines)
