"""Trust numbers of the intent model as served: calibration, explanation faithfulness and
explanation latency (issue 5).

For each set (BANKING77 and SMP2017 by default), on dev half b (``split_half(seed=0)``, cut
by ``run_benchmarks.prepare``; half a selected and calibrated the model):

1. Calibration: ECE of the top-1 intent before and after temperature scaling
   (``aimass.evaluation.trust.intent_trust``, the numbers ``aimass eval`` reports; "before"
   undoes the stored temperature exactly), on the in-scope messages.
2. Deletion faithfulness (``aimass.evaluation.trust.deletion_scores``): on a seeded sample of
   the messages the model gets right (``--faithfulness-sample``, drawn as ``intent_trust``
   draws its sample of 60), the drop of the predicted class's probability when the k
   top-attributed words are deleted, against k random words (3 seeds); the margin is the
   difference, for k = 1 and k = 3, with AOPC over k = 1..3. The attributions are those
   ``Assistant.explain`` serves (``aimass.explain.explainer.attributions``).
3. Latency: p50/p95/p99 of ``Assistant.explain(text)`` (the full served explanation: answer,
   attributions, runner-up, nearest examples) over up to ``--latency-n`` dev-b messages,
   one at a time after ``--warmup`` calls, ``--threads`` torch/ONNX threads; and of
   ``Assistant.respond(text)`` on the same messages, for the explain/respond ratio.

Models: each set is trained once with the code path of ``aimass bench intent``
(``aimass.evaluation.bench.bench_intent``, ``--set KEY=VALUE`` overrides) and kept under
``--work/<set>/model``; a valid model there is reused unless ``--retrain``. ``--model
SET=PATH`` measures an artifact trained elsewhere instead, and ``--data SET=FILE`` (a
``{"text", "label"}`` JSONL, or a project intent file) measures any artifact on any labelled
file in place of dev half b, so the analysis can be re-run without training.

Writes ``<out>/trust_bench.json`` and ``<out>/trust_bench.md`` (sets measured before and not
in this run are kept, each with its own date and commit). Wall-clock latency: run it on an
idle machine; training takes up to about 15 minutes a set.

    .venv/bin/python benchmarks/trust_bench.py --set threads=2          # the issue-5 run
    .venv/bin/python benchmarks/trust_bench.py --methods occlusion,ig   # + integrated gradients
    .venv/bin/python benchmarks/trust_bench.py \\
        --model demo=~/.cache/aimass/demo/shopmate-model --data demo=/tmp/shopmate.jsonl \\
        --limit 20 --out /tmp/trust-smoke                               # a smoke run

(``/tmp/shopmate.jsonl``: the demo bot's intent examples, ``src/aimass/demo/shopmate/data/
intents/*.yaml`` read with ``aimass.evaluation.evaluate.read_labelled``, one ``{"text",
"label"}`` a line; training data, so its numbers only show the script works.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # run from a checkout without installing
from benchkit import add_settings_option, git_commit, parse_settings, write_atomic  # noqa: E402
from run_benchmarks import SETS, prepare  # noqa: E402

log = logging.getLogger("trust_bench")

DATA_ROOT = REPO.parent / "shared" / "data"
DEFAULT_SETS = ("banking77", "smp2017")
KS = (1, 3)  # deletion faithfulness at k = 1 and k = 3 (AOPC over 1..3)
T = TypeVar("T")


def seeded_sample(items: Sequence[T], n: int | None, seed: int = 0) -> list[T]:
    """Up to ``n`` items drawn with a seeded generator, in their original order (the way
    ``intent_trust`` draws its faithfulness sample, so the same seed gives the same texts)."""
    if n is None or n >= len(items):
        return list(items)
    rng = np.random.default_rng(seed)
    return [items[i] for i in sorted(rng.permutation(len(items))[:n])]


def named_paths(items: list[str], flag: str) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"{flag} expects NAME=PATH, got {item!r}")
        out[name] = Path(path).expanduser()
    return out


def percentiles(seconds: list[float]) -> dict[str, float | int | None]:
    if not seconds:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None}
    ms = np.asarray(seconds) * 1000
    return {
        "n": len(seconds),
        **{f"p{q}_ms": round(float(np.percentile(ms, q)), 2) for q in (50, 95, 99)},
    }


# ---------------------------------------------------------------------------------------
# model and data


def valid_artifact(path: Path) -> bool:
    from aimass.errors import ArtifactError
    from aimass.model.artifact import check_artifact

    try:
        check_artifact(path)
    except ArtifactError:
        return False
    return True


def ensure_model(name: str, args: argparse.Namespace, settings: dict[str, Any]) -> dict[str, Any]:
    """The artifact to measure for ``name``: ``--model``, the one kept in ``--work``, or a
    new one trained like ``aimass bench intent``; with what is known about its training."""
    if name in args.model:
        path = args.model[name]
        if not valid_artifact(path):
            raise SystemExit(f"--model {name}={path}: not a complete AI Mass artifact")
        return {"path": str(path), "source": "--model"}
    folder = args.work / name
    path = folder / "model"
    stamp = folder / "trained.json"
    if not args.retrain and valid_artifact(path) and stamp.exists():
        trained = json.loads(stamp.read_text(encoding="utf-8"))
        if trained.get("settings") != settings:
            log.warning(
                "%s: reusing the model trained with %s (this run asked for %s); --retrain to "
                "train again",
                name,
                trained.get("settings"),
                settings,
            )
        log.info("%s: reusing %s (trained %s)", name, path, trained.get("measured_at"))
        return {"path": str(path), "source": "kept", **trained}
    from aimass.evaluation.bench import bench_intent

    data = prepare(SETS[name], args.data_root, args.work)
    paths = data["paths"]
    log.info("%s: training like `aimass bench intent` into %s", name, path)
    started = time.perf_counter()
    metrics = bench_intent(
        paths["train"], paths["dev"], paths["test"], overrides=settings, model_out=path
    )
    trained = {
        "settings": settings,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "bench": {
            k: metrics.get(k)
            for k in ("accuracy", "macro_f1", "ece", "n", "train_seconds", "epochs_run")
        },
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
    }
    write_atomic(stamp, json.dumps(trained, indent=2) + "\n")
    log.info("%s: trained, accuracy on dev half b %.4f", name, metrics["accuracy"])
    return {"path": str(path), "source": "trained", **trained}


def test_data(name: str, args: argparse.Namespace) -> tuple[list[str], list[str], str]:
    """Texts and gold labels to measure on: ``--data`` or dev half b of the set."""
    from aimass.evaluation.evaluate import read_labelled

    if name in args.data:
        texts, gold = read_labelled(args.data[name])
        return texts, gold, str(args.data[name])
    if name not in SETS or SETS[name].kind != "intent":
        raise SystemExit(f"{name}: not a known intent set; give --data {name}=FILE")
    rows = prepare(SETS[name], args.data_root, args.work)["test"]
    return [r.text for r in rows], [r.label for r in rows], f"{SETS[name].folder} dev half b"


# ---------------------------------------------------------------------------------------
# measuring


def faithfulness(
    predictor: Any, sample: list[str], method: str
) -> tuple[dict[str, Any], list[float]]:
    """``deletion_scores`` at each k of ``KS`` on ``sample`` with ``method``'s attributions
    (computed once per text and shared by the k's); the seconds each attribution took."""
    from aimass.evaluation.trust import deletion_scores
    from aimass.explain.explainer import attributions

    cache: dict[str, list[tuple[int, int, float]]] = {}
    seconds: list[float] = []

    def spans(text: str) -> list[tuple[int, int, float]]:
        if text not in cache:
            started = time.perf_counter()
            sp, scores, _, _ = attributions(predictor, text, method)
            seconds.append(time.perf_counter() - started)
            cache[text] = [(s, e, float(v)) for (s, e), v in zip(sp, scores, strict=True)]
        return cache[text]

    return {
        f"k{k}": deletion_scores(sample, spans, predictor.intent_probabilities, k=k) for k in KS
    }, seconds


def timed(fn: Callable[[str], Any], texts: list[str], warmup: int) -> list[float]:
    for t in texts[:warmup]:
        fn(t)
    seconds = []
    for t in texts:
        started = time.perf_counter()
        fn(t)
        seconds.append(time.perf_counter() - started)
    return seconds


def ig_unavailable(predictor: Any) -> str | None:
    if getattr(predictor, "model", None) is None or getattr(predictor, "enc", None) is None:
        return "the artifact is served with ONNX (integrated gradients need torch)"
    try:
        import captum  # noqa: F401
    except ImportError:
        return "captum is not installed (install aimass[explain])"
    return None


def measure(
    name: str, model: dict[str, Any], texts: list[str], gold: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    from aimass.evaluation.metrics import intent_metrics
    from aimass.evaluation.trust import intent_trust
    from aimass.runtime.assistant import Assistant
    from aimass.runtime.scope import OOS, decide_texts

    assistant = Assistant.load(model["path"], threads=args.threads)
    predictor = assistant.predictor
    if not predictor.has("intent"):
        raise SystemExit(f"{name}: {model['path']} has no intent head")
    rows = seeded_sample(list(zip(texts, gold, strict=True)), args.limit, args.seed)
    texts, gold = [t for t, _ in rows], [g for _, g in rows]
    thresholds = assistant.thresholds
    closed_set = OOS not in gold
    if closed_set:
        # As `aimass bench intent` scores a set without out-of-scope examples: no floor
        # turns an in-scope prediction into "oos".
        thresholds = thresholds.model_copy(update={"oos": 0.0})
    started = time.perf_counter()
    probs, vectors, decided = decide_texts(predictor, texts, thresholds)
    predict_seconds = time.perf_counter() - started
    pred = [d[0] for d in decided]
    served = intent_metrics(gold, pred, [d[1] for d in decided])
    # Calibration (and the rest of what `aimass eval` reports) straight from intent_trust;
    # faithfulness below with a bigger sample and both k's.
    trust = intent_trust(predictor, texts, gold, probs, vectors, decided, faithfulness_sample=0)
    rc = trust.get("risk_coverage", {})
    out: dict[str, Any] = {
        "data": args.data_label[name],
        "model": model,
        "model_format": predictor.files.manifest.get("model_format", "torch"),
        "n": len(texts),
        "closed_set": closed_set,
        "accuracy": served.get("accuracy"),
        "predict_seconds": round(predict_seconds, 2),
        "calibration": trust.get("calibration", {}).get("intent"),
        "oos": trust.get("oos"),
        "aurc": rc.get("aurc"),
        "risk_at_full": rc.get("risk_at_full"),
    }
    cal = out["calibration"]
    if cal:
        log.info(
            "%s: ECE %.4f -> %.4f (T=%.3f), n=%d",
            name,
            cal["before"]["ece"],
            cal["after"]["ece"],
            cal["temperature"],
            len(texts),
        )

    pool = [t for t, g, p in zip(texts, gold, pred, strict=True) if g != OOS and g == p]
    sample = seeded_sample(pool, args.faithfulness_sample, args.seed)
    latency_texts = seeded_sample(texts, args.latency_n, args.seed)
    out["latency"] = {
        "threads": args.threads,
        "warmup": args.warmup,
        "respond": percentiles(timed(assistant.respond, latency_texts, args.warmup)),
    }
    out["faithfulness"] = {}
    for method in args.methods:
        why_not = ig_unavailable(predictor) if method == "ig" else None
        if why_not:
            log.warning("%s: skipping %s: %s", name, method, why_not)
            out["faithfulness"][method] = {"skipped": why_not}
            out["latency"][f"explain_{method}"] = {"skipped": why_not}
            continue
        log.info("%s: deletion faithfulness of %s on %d texts", name, method, len(sample))
        scores, attribution_seconds = faithfulness(predictor, sample, method)
        out["faithfulness"][method] = {
            "pool": len(pool),
            "attribution": percentiles(attribution_seconds),
            **scores,
        }
        log.info("%s: explain(%s) latency on %d texts", name, method, len(latency_texts))
        out["latency"][f"explain_{method}"] = percentiles(
            timed(lambda t, m=method: assistant.explain(t, m), latency_texts, args.warmup)
        )
        explain_p50 = out["latency"][f"explain_{method}"]["p50_ms"]
        respond_p50 = out["latency"]["respond"]["p50_ms"]
        out["latency"][f"ratio_{method}"] = (
            round(explain_p50 / respond_p50, 2) if explain_p50 and respond_p50 else None
        )
    out["measured_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    out["git_commit"] = git_commit()
    return out


# ---------------------------------------------------------------------------------------
# report


def _f(v: float | None, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def row(name: str, r: dict[str, Any], method: str) -> str:
    cal = r.get("calibration") or {}
    faith = r["faithfulness"].get(method, {})
    k1, k3 = faith.get("k1") or {}, faith.get("k3") or {}
    lat = r["latency"]
    explain = lat.get(f"explain_{method}") or {}
    n = f"{r['n']} / {k1.get('n', '–')} / {explain.get('n', '–')}"
    return (
        f"| {name} | {n} | {_f(cal.get('before', {}).get('ece'), 4)} | "
        f"{_f(cal.get('after', {}).get('ece'), 4)} | {_f(cal.get('temperature'), 2)} | "
        f"{_f(k1.get('top_drop'))} | {_f(k1.get('random_drop'))} | {_f(k1.get('margin'))} | "
        f"{_f(k3.get('margin'))} (AOPC {_f(k3.get('aopc'))}) | "
        f"{_f(explain.get('p50_ms'), 1)} / {_f(explain.get('p95_ms'), 1)} | "
        f"{_f(lat['respond'].get('p50_ms'), 1)} | {_f(lat.get(f'ratio_{method}'), 1)} |"
    )


HEADER = [
    "| set | n (ECE / deletion / latency) | ECE before | ECE after | temperature | "
    "deletion top-1 drop | random drop | margin (k=1) | margin (k=3) | explain p50/p95 ms | "
    "respond p50 ms | explain/respond |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]


def markdown(result: dict[str, Any]) -> str:
    sets = result["sets"]
    methods = list(dict.fromkeys(m for r in sets.values() for m in r["faithfulness"]))
    lines = [
        "# Trust: calibration, explanation faithfulness and latency (issue 5)",
        "",
        "The intent model as served (`Assistant.load`), measured on dev half b "
        "(`split_half(seed=0)`; half a selected and calibrated the model) unless a set says "
        "otherwise. ECE: top-1, 15 bins, in-scope messages, before and after temperature "
        "scaling. Deletion: the predicted class's probability drop when the top-k attributed "
        "words are deleted vs k random ones (3 seeds), on correctly answered messages; "
        "margin = top − random. Latency: one message at a time after warm-up calls, "
        "wall-clock.",
        "",
    ]
    for method in methods:
        lines += [f"## Attributions by {method}", "", *HEADER]
        lines += [row(name, r, method) for name, r in sets.items()]
        lines.append("")
    lines += ["| set | data | model | accuracy | explain p99 ms | respond p95 ms | measured |"]
    lines += ["|---|---|---|---:|---:|---:|---|"]
    for name, r in sets.items():
        lat = r["latency"]
        p99 = " / ".join(
            f"{m} {_f((lat.get(f'explain_{m}') or {}).get('p99_ms'), 1)}" for m in methods
        )
        lines.append(
            f"| {name} | {r['data']} | {r['model']['source']}, {r['model_format']} | "
            f"{_f(r.get('accuracy'), 4)} | {p99} | {_f(lat['respond'].get('p95_ms'), 1)} | "
            f"{r['measured_at']} at {r['git_commit']} |"
        )
    lines += [
        "",
        "Occlusion ranks each word by the drop its own deletion causes (in log-odds, which "
        "orders like the probability), so its top-1 deletion is the largest single-word drop "
        "by construction: the k=1 margin is an upper bound there; k=3 (and other methods) say "
        "more.",
        "",
        f"Machine: {result['machine']['cpus']} CPUs, Python {result['machine']['python']}, "
        f"load average {result['machine']['loadavg_1_5_15']} at the start of the last run "
        f"({result['measured_at']}, {result['git_commit']}).",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--sets",
        default=None,
        help="comma-separated (default: banking77,smp2017, or the names given to --data)",
    )
    p.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="SET=PATH",
        help="measure this artifact instead of training one (repeatable)",
    )
    p.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="SET=FILE",
        help="labelled JSONL (text, label) to measure on instead of dev half b",
    )
    p.add_argument("--data-root", type=Path, default=DATA_ROOT)
    p.add_argument(
        "--work",
        type=Path,
        default=REPO / "benchmarks" / "work" / "trust",
        help="split files and trained models (git-ignored)",
    )
    p.add_argument("--retrain", action="store_true", help="train even if --work has a model")
    add_settings_option(p, "training overrides, as `aimass bench intent --set`")
    p.add_argument("--methods", default="occlusion", help="occlusion and/or ig")
    p.add_argument("--faithfulness-sample", type=int, default=200)
    p.add_argument("--latency-n", type=int, default=100)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--limit",
        type=int,
        default=None,
        help="measure on a seeded sample of this many messages (smoke runs)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    args.model = named_paths(args.model, "--model")
    args.data = named_paths(args.data, "--data")
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    from aimass.explain.explainer import METHODS

    for m in args.methods:
        if m not in METHODS:
            raise SystemExit(f"--methods: unknown method {m!r} (use {', '.join(METHODS)})")
    if args.sets:
        names = [s.strip() for s in args.sets.split(",") if s.strip()]
    else:
        names = list(args.data) or list(DEFAULT_SETS)
    for name in names:
        if name not in args.model and name not in SETS:
            raise SystemExit(f"{name}: not a known set; give --model {name}=PATH --data ...")
    settings = parse_settings(args.settings)
    loadavg = [round(x, 2) for x in os.getloadavg()]

    measured: dict[str, Any] = {}
    args.data_label = {}
    for name in names:
        texts, gold, args.data_label[name] = test_data(name, args)
        model = ensure_model(name, args, settings)
        measured[name] = measure(name, model, texts, gold, args)

    json_path = args.out / "trust_bench.json"
    previous: dict[str, Any] = {}
    if json_path.exists():
        try:
            previous = json.loads(json_path.read_text(encoding="utf-8")).get("sets", {})
        except (OSError, ValueError):
            log.warning("%s is unreadable; writing it anew", json_path)
    result = {
        "benchmark": "trust",
        "sets": {**{k: v for k, v in previous.items() if k not in measured}, **measured},
        "config": {
            "methods": args.methods,
            "faithfulness_sample": args.faithfulness_sample,
            "latency_n": args.latency_n,
            "warmup": args.warmup,
            "threads": args.threads,
            "limit": args.limit,
            "seed": args.seed,
            "settings": settings,
        },
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "loadavg_1_5_15": loadavg,
        },
    }
    write_atomic(json_path, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    text = markdown(result)
    write_atomic(args.out / "trust_bench.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
