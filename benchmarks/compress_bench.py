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

Ratios are against ``transformers-fp32``. The resident memory of a serving process (load
the artifact, answer one message) is measured in a fresh subprocess for the torch and the
compressed artifact, together with whether torch was imported. Writes
``compress-bench[-TAG].json`` and ``.md``. Measured so far (a shared, busy 2-core machine:
latencies vary run to run): results/compress-bench-banking77.md, -smp2017.md.
"""

from __future__ import annotations

import argparse
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
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    ap.add_argument("--tag", default="", help="file name suffix, e.g. the data set's name")
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
    with tempfile.TemporaryDirectory(prefix="compress-bench-") as tmp:
        out = Path(tmp) / "onnx-model"
        report = compress(
            args.artifact,
            out,
            dev=args.dev,
            threads=args.threads,
            bench_texts=texts,
            baselines={"transformers-fp32": run_baseline},
            progress=lambda m: print(m, file=sys.stderr),
        )
        baseline.update(report["baselines"]["transformers-fp32"])
        rows = [baseline, *report["stages"]]
        memory = {
            "torch-fp32": serving(args.artifact, args.threads),
            report["kept"]: serving(out, args.threads),
        }
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
    }
    kept = next(x for x in rows if x["name"] == report["kept"])
    fp32 = next(x for x in rows if x["name"] == "onnx-fp32")
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


def markdown(r: dict[str, Any]) -> str:
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
        metrics = ", ".join(f"{k} {v}" for k, v in x["metrics"].items() if k != "n")
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
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
