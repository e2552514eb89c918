"""Size and speed of the served model, every variant measured in one run on this CPU.

    python benchmarks/compress_bench.py --artifact PATH/TO/TRAINED/ARTIFACT \
        [--backbone e5-small] [--dev DEV.jsonl] [--threads 1] [--out benchmarks/results]

Rows (latency: milliseconds per sentence with tokenisation, at batch 1 and batch 32, on the
same customer-service messages, same thread count, every model timed in turns so that a
drifting load on a shared machine hits them all alike):

- ``transformers-fp32``  the backbone in plain transformers (AutoModel + AutoTokenizer,
                         mean pooling): what a user without AI Mass would run
- ``torch-fp32``         our trained multi-task model (trimmed vocabulary, heads), in torch
- ``onnx-fp32``          its ONNX export (onnxruntime)
- ``int8`` ...           dynamic int8 candidates (kept only when faster; see the status)

With ``--layers`` / ``--prune-ffn`` / ``--prune-heads`` / ``--vocab-reserve`` and ``--train``
(issue 6, items 1-3), the chain first builds a student from the fine-tuned model and distils
it (weighted teachers: the model, ``--teachers``), and the run also reports:

- ``full-onnx-fp32``     the full fine-tuned model in ONNX fp32 (timed with the others)
- the student in torch, then its ONNX fp32 and int8 exports (``student/...`` rows)
- the same student trained on the labels alone (accuracy), against the distilled one
- the teachers' fitted weights, and the weighted mixture against the uniform one on dev

``--select-dev`` is the dev half used for teacher weights, checkpoint choice, calibration
and the chain's choice among the student's candidates (``--max-accuracy-drop`` against the
full model, on that half); ``--dev`` the other half, which only measures. Example (BANKING77, the halves
of ``run_benchmarks.py``)::

    OMP_NUM_THREADS=1 python benchmarks/compress_bench.py --artifact BANK_MODEL \
        --train ../shared/data/intent/banking77/train.jsonl --select-dev DEV_A.jsonl \
        --dev DEV_B.jsonl --layers 6 --vocab-reserve 5000 --teachers lexical,use \
        --tag banking77-student

Ratios are against ``transformers-fp32``. The resident memory of a serving process (load
the artifact, answer one message) is measured in a fresh subprocess for the torch and the
compressed artifact, together with whether torch was imported. Writes
``compress-bench[-TAG].json`` and ``.md``. Measured so far (a shared, busy 2-core machine:
latencies vary run to run): results/compress-bench-banking77.md, -smp2017.md.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEMO = Path(__file__).resolve().parents[1] / "src" / "aimass" / "demo" / "shopmate"

SERVE_PROBE = """
import sys, time
t = time.perf_counter()
from aimass.runtime.assistant import Assistant
a = Assistant.load({path!r}, threads={threads})
load_s = time.perf_counter() - t
a.respond("我想退货怎么办"); a.respond("where is my parcel")
t = time.perf_counter()
for m in ["你们支持花呗吗", "how do I return an item", "快递到哪了", "can I pay with paypal"] * 5:
    a.respond(m)
status = dict(ln.split(":", 1) for ln in open("/proc/self/status") if ":" in ln)
mb = lambda k: round(int(status[k].split()[0]) / 1024, 1)
print("RESULT", {{"rss_mb": mb("VmRSS"), "peak_rss_mb": mb("VmHWM"),
       "load_s": round(load_s, 2), "respond_ms": round((time.perf_counter() - t) * 1000 / 20, 2),
       "torch_imported": "torch" in sys.modules,
       "transformers_imported": "transformers" in sys.modules}})
"""


def demo_texts() -> list[str]:
    """The demo bot's intent examples, Chinese and English, in a fixed interleaved order."""
    from aimass.evaluation.evaluate import read_labelled

    texts: list[str] = []
    for f in sorted((DEMO / "data" / "intents").glob("*.yaml")):
        texts += read_labelled(f)[0]
    zh = [t for t in texts if not t.isascii()]
    en = [t for t in texts if t.isascii()]
    mixed = [t for pair in zip(zh, en, strict=False) for t in pair]
    return mixed[:64]


def backbone_row(backbone: str, prefix: str) -> tuple[dict[str, Any], Any]:
    """The plain-transformers row (latency filled in later) and its runner."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from aimass.compress.quantize import size_mb
    from aimass.encoders.backbone import resolve_backbone

    folder = resolve_backbone(backbone)
    tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModel.from_pretrained(folder, local_files_only=True).eval()

    @torch.no_grad()
    def run(batch: list[str]) -> Any:
        enc = tok([prefix + t for t in batch], padding=True, truncation=True, max_length=64,
                  return_tensors="pt")  # fmt: skip
        h = model(**enc).last_hidden_state
        m = enc["attention_mask"].unsqueeze(-1).float()
        return (h * m).sum(1) / m.sum(1)

    weights = sorted(folder.glob("*.safetensors")) or sorted(folder.glob("*.bin"))
    return {
        "name": "transformers-fp32",
        "runtime": "torch (plain transformers)",
        "model_mb": round(sum(size_mb(w) for w in weights), 3),
        "artifact_mb": size_mb(folder),
        "metrics": {},
        "status": "baseline",
        "reason": "",
    }, run


def serving(path: Path, threads: int) -> dict[str, Any]:
    code = SERVE_PROBE.format(path=str(path), threads=threads)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env
    )
    line = [ln for ln in run.stdout.splitlines() if ln.startswith("RESULT ")]
    if run.returncode != 0 or not line:
        return {"error": run.stderr[-500:]}
    return dict(eval(line[-1][7:]))  # our own probe's dict literal


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--artifact", type=Path, required=True, help="a trained (torch) artifact")
    ap.add_argument("--backbone", default="e5-small")
    ap.add_argument("--dev", type=Path, default=None, help="labelled messages for accuracy")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--max-accuracy-drop",
        type=float,
        default=1.0,
        help="the chain's budget, in points; with --select-dev spent on that selection half",
    )
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    ap.add_argument("--tag", default="", help="file name suffix, e.g. the data set's name")
    st = ap.add_argument_group("student (distillation, pruning, vocabulary)")
    st.add_argument("--train", type=Path, default=None, help="labelled training messages")
    st.add_argument("--select-dev", type=Path, default=None, help="dev half for selection")
    st.add_argument("--unlabelled", type=Path, default=None, help="extra unlabelled messages")
    st.add_argument(
        "--augment", type=int, default=0, help="rewrites per training message (transfer set)"
    )
    st.add_argument(
        "--as-served",
        action="store_true",
        help="train both students as served: losses on the fusion with the artifact's experts",
    )
    st.add_argument(
        "--no-fuse-teacher-experts",
        action="store_true",
        help="serve the distilled student without the experts it learned from",
    )
    st.add_argument("--layers", type=int, default=None)
    st.add_argument("--layer-choice", default="importance", choices=["importance", "even"])
    st.add_argument("--prune-ffn", type=float, default=None, help="fraction of FFN removed")
    st.add_argument("--prune-heads", type=float, default=None, help="fraction of heads removed")
    st.add_argument("--vocab-reserve", type=int, default=None)
    st.add_argument("--teachers", default="lexical", help="teachers besides the model")
    st.add_argument("--distill-epochs", type=float, default=4.0)
    st.add_argument(
        "--distill-minutes",
        type=float,
        default=None,
        help="cap on each student's training loop (teacher outputs not counted)",
    )
    st.add_argument("--max-train", type=int, default=None, help="subsample (smoke runs)")
    st.add_argument("--no-labels-only", action="store_true", help="skip the comparison row")
    ap.add_argument("--dims", default="256,128,64", help="index PCA dimensions to measure")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from aimass.compress.chain import compress
    from aimass.model.artifact import read_artifact

    texts = demo_texts()
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    prefix = read_artifact(args.artifact).manifest.get("backbone", {}).get("query_prefix", "")
    started = time.time()
    baseline, run_baseline = backbone_row(args.backbone, prefix)
    student: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="compress-bench-") as tmp:
        out = Path(tmp) / "onnx-model"
        baselines = {"transformers-fp32": run_baseline}
        stages, extra_rows = [], []
        if args.train is not None:
            stages, extra_rows, student = student_setup(args, Path(tmp), baselines)
        report = compress(
            args.artifact,
            out,
            dev=args.dev,
            threads=args.threads,
            bench_texts=texts,
            baselines=baselines,
            stages=stages,
            select_dev=args.select_dev if stages else None,
            max_accuracy_drop=args.max_accuracy_drop,
            over_budget="keep-fp32",  # record a student over budget instead of losing the run
            progress=lambda m: print(m, file=sys.stderr),
        )
        baseline.update(report["baselines"]["transformers-fp32"])
        for row in extra_rows:
            row.update(report["baselines"][row["name"]])
        if stages:
            for r in report["stages"][2:]:
                r["name"] = "student/" + r["name"]
            report["kept"] = "student/" + report["kept"]
            student.update(student_summary(report, stages[0], student))
        if stages[0].student is not None:
            student["distilled_head_accuracy"] = head_accuracy(*stages[0].student, args.dev)
            if args.no_fuse_teacher_experts:
                student["distilled_refused"] = refused_metrics(stages[0], args)
        rows = [baseline, *report["stages"][:1], *extra_rows, *report["stages"][1:]]
        memory = {
            "torch-fp32": serving(args.artifact, args.threads),
            report["kept"]: serving(out, args.threads),
        }
        dims = index_dims(out, [int(d) for d in args.dims.split(",") if d.strip()], args.threads)
    base = rows[0]
    for r in rows:
        r["speedup_b1"] = round(base["b1_ms"] / r["b1_ms"], 2)
        r["speedup_b32"] = round(base["b32_ms"] / r["b32_ms"], 2)
        r["size_ratio"] = round(base["model_mb"] / r["model_mb"], 2) if r["model_mb"] else None
    result = {
        "artifact": str(args.artifact),
        "backbone": args.backbone,
        "threads": args.threads,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": load_at_start,
        "texts": len(texts),
        "kept": report["kept"],
        "budget_basis": report["budget_basis"],
        "seconds": round(time.time() - started, 1),
        "rows": rows,
        "serving": memory,
        "student": student,
        "index_dims": dims,
    }
    kept = next(x for x in rows if x["name"] == report["kept"])
    fp32 = next(x for x in rows if x["name"] in ("onnx-fp32", "full-onnx-fp32"))
    result["kept_vs_onnx_fp32"] = {
        "speedup_b1": round(fp32["b1_ms"] / kept["b1_ms"], 2),
        "speedup_b32": round(fp32["b32_ms"] / kept["b32_ms"], 2),
        "size_ratio": round(fp32["model_mb"] / kept["model_mb"], 2),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "compress-bench" + (f"-{args.tag}" if args.tag else "")
    (args.out / f"{stem}.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (args.out / f"{stem}.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))


def student_setup(
    args: Any, tmp: Path, baselines: dict[str, Any]
) -> tuple[list[Any], list[dict[str, Any]], dict[str, Any]]:
    """The distilled student's stage, the full model's ONNX fp32 row (its runner joins the
    timed baselines) and the labels-only student's accuracy, measured on ``--dev``."""
    from aimass.compress.chain import compress
    from aimass.compress.distill import DistillConfig
    from aimass.compress.student import StageData, StudentStage, read_texts
    from aimass.evaluation.evaluate import read_labelled
    from aimass.runtime.onnx_predictor import OnnxPredictor

    train = read_labelled(args.train)
    if args.max_train and len(train[0]) > args.max_train:
        import random

        idx = sorted(random.Random(0).sample(range(len(train[0])), args.max_train))
        train = ([train[0][i] for i in idx], [train[1][i] for i in idx])
    data = StageData(
        train,
        read_labelled(args.select_dev) if args.select_dev else ([], []),
        read_texts(args.unlabelled) if args.unlabelled else [],
    )
    if args.augment:
        data.add_rewrites(args.augment)
    say = lambda m: print(m, file=sys.stderr)  # noqa: E731
    common: dict[str, Any] = dict(
        layers=args.layers,
        layer_choice=args.layer_choice,
        ffn_keep=1.0 - args.prune_ffn if args.prune_ffn else None,
        heads_keep=1.0 - args.prune_heads if args.prune_heads else None,
        vocab_reserve=args.vocab_reserve,
        config=DistillConfig(epochs=args.distill_epochs, max_minutes=args.distill_minutes),
        artifact=args.artifact,
        as_served=args.as_served,
        cache_dir=tmp / "teacher-cache",
        progress=say,
    )
    teachers = [t.strip() for t in args.teachers.split(",") if t.strip()]
    distilled = StudentStage(
        data,
        expert_teachers=teachers,
        fuse_teacher_experts=not args.no_fuse_teacher_experts,
        name="student-distilled",
        **common,
    )

    say("full model: ONNX fp32 export")
    full = tmp / "full-onnx"
    full_report = compress(args.artifact, full, dev=args.dev, threads=args.threads, int8=False)
    pred = OnnxPredictor(full, threads=args.threads)
    baselines["full-onnx-fp32"] = lambda t: pred.outputs(t, cache=False)
    fp32 = next(s for s in full_report["stages"] if s["name"] == "onnx-fp32")
    row = {**fp32, "name": "full-onnx-fp32", "status": "baseline", "reason": ""}

    summary: dict[str, Any] = {"train_texts": len(train[0]), "select_dev": len(data.dev[0])}
    if not args.no_labels_only:
        say("labels-only student: training")
        reference = reference_predictor(args.artifact, args.threads)
        alone = StudentStage(data, labels_only=True, name="student-labels-only", **common)
        model, enc = alone.apply(reference.model, reference.enc, reference.files)
        summary["labels_only"] = {
            "metrics": served_metrics(reference, model, enc, alone.calibration, args),
            "head_accuracy": head_accuracy(model, enc, args.dev),
            "report": alone.report,
        }
    return [distilled], [row], summary


def served_metrics(
    reference: Any, model: Any, enc: Any, calibration: dict[str, Any], args: Any
) -> dict[str, Any]:
    """Metrics on ``--dev`` of ``model`` served with ``calibration`` (its expert fusion and
    out-of-scope rule), as the chain measures its own stages."""
    from aimass.compress.chain import _metrics, _predictions

    evalset, ref_out = reference_outputs(args.artifact, args.threads, args.dev)
    staged = copy.copy(reference)
    staged.model, staged.enc = model, enc
    staged.files = dataclasses.replace(reference.files, calibration=calibration)
    weights = calibration.get("expert_weights", {})
    staged.experts = {
        n: load_expert(args.artifact / "experts" / n) for n, w in weights.items() if w
    }
    return _metrics(_predictions(staged, evalset), ref_out, evalset)


@functools.cache
def reference_predictor(artifact: Path, threads: int) -> Any:
    """The full model, loaded once for every comparison the benchmark makes."""
    from aimass.runtime.predictor import TorchPredictor

    return TorchPredictor(artifact, threads=threads)


@functools.cache
def reference_outputs(artifact: Path, threads: int, dev: Path | None) -> tuple[Any, Any]:
    """``--dev`` as the chain reads it, and the full model's predictions on it."""
    from aimass.compress.chain import _eval_set, _predictions

    reference = reference_predictor(artifact, threads)
    evalset = _eval_set(reference.files.runtime, dev)
    return evalset, _predictions(reference, evalset)


def refused_metrics(stage: Any, args: Any) -> dict[str, Any]:
    """With --no-fuse-teacher-experts, the distilled student as it would be served by
    default: its calibration refitted with every expert of the artifact (for the report)."""
    from aimass.compress.student import artifact_experts, recalibrate

    reference = reference_predictor(args.artifact, args.threads)
    model, enc = stage.student
    cal = recalibrate(
        model,
        enc,
        stage.data.dev,
        dict(reference.files.calibration),
        artifact_experts(args.artifact),
        train=stage.data.train,
    )
    return {
        "metrics": served_metrics(reference, model, enc, cal, args),
        "expert_weights": cal.get("expert_weights", {}),
    }


def index_dims(served: Path, dims: list[int], threads: int) -> dict[str, Any]:
    """Recall cost of a PCA-reduced retrieval index (issue 6, item 5): the served model's
    embeddings of the demo bot's FAQ questions, each left out and searched for in turn."""
    from aimass.data.readers.faq import read_faqs
    from aimass.retrieval.reduce import measure_bank
    from aimass.runtime.onnx_predictor import OnnxPredictor

    faqs, _ = read_faqs(DEMO / "data" / "faq.yaml", root=DEMO)
    groups = {f.id: list(f.questions) for f in faqs if len(f.questions) >= 2}
    pred = OnnxPredictor(served, threads=threads)
    return {
        "bank": "demo bot FAQ questions, leave-one-out",
        "groups": len(groups),
        "rows": measure_bank(pred.embed, groups, dims),
    }


def head_accuracy(model: Any, enc: Any, dev: Path | None) -> float | None:
    """Accuracy (%) of the intent head alone (no expert fusion, no out-of-scope rule) on
    ``dev``: what distillation itself changed, before the experts add their share."""
    from aimass.evaluation.evaluate import read_labelled
    from aimass.model.predict import intent_probabilities

    if dev is None or "intent" not in model.heads:
        return None
    texts, gold = read_labelled(dev)
    labels = model.heads["intent"].labels
    pred = [labels[i] for i in intent_probabilities(model, enc, texts).argmax(1)]
    return round(100 * sum(p == g for p, g in zip(pred, gold, strict=True)) / len(gold), 2)


def load_expert(folder: Path) -> Any:
    from aimass.model.experts import load_expert as load

    return load(folder)


def student_summary(report: dict[str, Any], stage: Any, student: dict[str, Any]) -> dict[str, Any]:
    """The verdicts of issue 6: size, speed, accuracy against the full model, distilled
    against labels-only, weighted teachers against uniform."""
    full = report["stages"][0]
    torch_student = report["stages"][1]
    kept = next(s for s in report["stages"] if s["name"] == report["kept"])
    acc = "intent_accuracy" if "intent_accuracy" in full["metrics"] else "intent_agreement"
    out: dict[str, Any] = {
        "stage": stage.report,
        "accuracy_basis": acc,
        "full_accuracy": full["metrics"].get(acc),
        "distilled_torch_accuracy": torch_student["metrics"].get(acc),
        "served_accuracy": kept["metrics"].get(acc),
        "served_model_mb": kept["model_mb"],
        "served_artifact_mb": kept["artifact_mb"],
    }
    out["served_drop_vs_full"] = round(out["full_accuracy"] - out["served_accuracy"], 2)
    lo = student.get("labels_only")
    if lo:
        out["labels_only_accuracy"] = lo["metrics"].get(acc)
        out["distilled_minus_labels_only"] = round(
            out["distilled_torch_accuracy"] - out["labels_only_accuracy"], 2
        )
    tw = stage.report.get("teacher_weights", {}).get("intent")
    if tw:
        out["teacher_weights"] = tw["weights"]
        out["weighted_dev"] = tw.get("weighted")
        out["uniform_dev"] = tw.get("uniform")
    return out


def markdown(r: dict[str, Any]) -> str:
    from aimass.compress.chain import describe_metrics

    lines = [
        "# Compression benchmark",
        "",
        f"Artifact `{r['artifact']}`, backbone `{r['backbone']}`; {r['texts']} demo messages "
        f"(zh/en), {r['threads']} thread(s) on a {r['cpu_count']}-core CPU; latency in ms per "
        f"sentence with tokenisation; ratios vs transformers-fp32, all measured in one run "
        f"({r['seconds']} s; load average at start {r['load_average_at_start']}). "
        f"Kept: **{r['kept']}** ({r['kept_vs_onnx_fp32']['speedup_b1']}x faster at batch 1, "
        f"{r['kept_vs_onnx_fp32']['speedup_b32']}x at batch 32 and "
        f"{r['kept_vs_onnx_fp32']['size_ratio']}x smaller than the fine-tuned model in ONNX "
        f"fp32). Accuracy basis: {r['budget_basis']}.",
        "",
        "| model | runtime | model MB | ms b1 | ms b32 | speed-up b1 | speed-up b32 | "
        "smaller | metrics | status |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for x in r["rows"]:
        metrics = describe_metrics(x) if "metrics" in x else ""
        status = x["status"] + (f": {x['reason']}" if x["reason"] else "")
        lines.append(
            f"| {x['name']} | {x['runtime']} | {x['model_mb']} | {x['b1_ms']} | {x['b32_ms']} | "
            f"{x['speedup_b1']}x | {x['speedup_b32']}x | {x['size_ratio']}x | {metrics} | "
            f"{status} |"
        )
    lines += [
        "",
        "Serving process (fresh subprocess: load the artifact, answer messages one at a time; "
        "the time per message includes the intent experts, e.g. the frozen USE encoder):",
        "",
    ]
    lines += ["| artifact | RSS MB | peak RSS MB | load s | ms per message | torch imported |",
              "|---|---:|---:|---:|---:|---|"]  # fmt: skip
    for name, m in r["serving"].items():
        if "error" in m:
            lines.append(f"| {name} | error: {m['error'][:80]} | | | | |")
        else:
            lines.append(
                f"| {name} | {m['rss_mb']} | {m['peak_rss_mb']} | {m['load_s']} | "
                f"{m['respond_ms']} | "
                f"{m['torch_imported']} |"
            )
    d = r.get("index_dims") or {}
    if d.get("rows"):
        lines += [
            "",
            f"Retrieval index dimension ({d['bank']}, {d['groups']} FAQs; PCA fitted on the "
            "bank, as `DenseOptions(dim=...)` does):",
            "",
            "| dim | recall@1 | recall@5 | bytes per vector | recall@1 lost |",
            "|---:|---:|---:|---:|---:|",
        ]
        for x in d["rows"]:
            lines.append(
                f"| {x['dim']} | {x['recall_at_1']} | {x['recall_at_5']} | "
                f"{x['bytes_per_vector']} | {x['drop_at_1']} |"
            )
    s = r.get("student") or {}
    if s.get("stage"):
        st = s["stage"]
        lines += [
            "",
            "## Student",
            "",
            f"Layers removed {st['layers_removed']}, FFN {st['ffn']}, heads {st['heads']}, "
            f"vocabulary {st.get('vocab') or 'as the artifact'}; "
            f"{st['params_before']:,} -> {st['params_after']:,} parameters; "
            f"{s.get('train_texts')} training texts, {s.get('select_dev')} selection texts; "
            f"distilled in {st['seconds']} s with loss weights {st['loss_weights']}"
            + (
                "; both students trained as served (losses on the fusion with the "
                "artifact's experts, out of fold on the training messages)."
                if st.get("as_served")
                else "."
            ),
            "",
            f"- served ({r['kept']}): {s['served_model_mb']} MB model "
            f"({s['served_artifact_mb']} MB artifact), {s['accuracy_basis']} "
            f"{s['served_accuracy']} vs {s['full_accuracy']} for the full fine-tuned model "
            f"(drop {s['served_drop_vs_full']} points)",
            f"- distilled student (torch): {s['distilled_torch_accuracy']}"
            + (
                f"; the same student trained on labels only: {s['labels_only_accuracy']} "
                f"(distillation {s['distilled_minus_labels_only']:+} points)"
                if "labels_only_accuracy" in s
                else ""
            ),
        ]
        if "labels_only" in s:
            lo_fused = s["labels_only"].get("report", {}).get("experts_fused")
            lines.append(
                f"- the intent head alone (no expert fusion, no out-of-scope rule): distilled "
                f"{s.get('distilled_head_accuracy')}, labels only "
                f"{s['labels_only'].get('head_accuracy')}"
            )
            lines.append(
                f"- experts offered to the served fusion (weights fitted on the selection "
                f"half): distilled {st.get('experts_fused')}, labels only {lo_fused}; "
                f"transfer set: "
                f"{st.get('transfer_texts', 0)} texts beyond the training messages"
            )
        rf = s.get("distilled_refused")
        if rf:
            lines.append(
                f"- the distilled student fusing its teacher experts again (weights "
                f"{rf['expert_weights']}): {s['accuracy_basis']} "
                f"{rf['metrics'].get(s['accuracy_basis'])}"
            )
        if "teacher_weights" in s:
            lines.append(
                f"- teacher weights fitted on the selection half: {s['teacher_weights']}; "
                f"weighted mixture {s['weighted_dev']} vs uniform {s['uniform_dev']}"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
