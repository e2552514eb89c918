"""Does label-preserving augmentation help? BANKING77 10-shot, with vs without, over seeds.

Issue 7's done-when: on BANKING77 10-shot (``train_10.jsonl``), accuracy on the held-back half
of dev averaged over 3 seeds, augmentation adds at least 1.5 points over no augmentation, and
the label filter's share of rejected candidates is reported.

For each seed:

1. train without augmentation through ``aimass.evaluation.bench.bench_intent`` (the code path
   of ``aimass bench intent``): ``--dev`` is half a of dev (``split_half(seed=0)``), the
   reported numbers are on half b;
2. with that model as the filter, augment the training examples (``aimass.augment``: the
   chosen augmenters, ``--per-example`` each, the label filter at ``--threshold``; the intents
   are ``--intents``: ``all`` or ``worst:K`` by F1 on dev half a, never half b);
3. train again on train + augmented examples, same seed, same settings, and evaluate on half b.

``--use soft`` changes step 3: the augmented examples are not trained on with their labels;
the model distils into a copy of itself (``aimass.compress.student.StudentStage``, every
layer kept) on train + the augmented texts, soft-labelled by the model and its intent
experts (the teachers, weights fitted on half a) -- what ``aimass compress --augment`` does
for a student -- and is served as the chain exports it (fp32 ONNX, experts fused with weights
refitted on half a). Every side is scored on half b as ``aimass bench intent`` scores a
closed set, and a control row distils without the augmented texts, so the gain that is
augmentation's is told apart from self-distillation's.

Writes ``<out>/augment_bench.json`` (every run, the augmentation reports, the summary) and
``<out>/augment_bench.md``. Run it on an idle machine: it trains 2 models per seed.

    .venv/bin/python benchmarks/augment_bench.py                       # the done-when run
    .venv/bin/python benchmarks/augment_bench.py --limit-intents 4 --seeds 0 --set epochs=1 \
        --out /tmp/augment-smoke                                       # a smoke run
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # run from a checkout without installing
from benchkit import git_commit, parse_settings  # noqa: E402

from aimass.augment import DEFAULT_AUGMENTERS, AugmentContext, build_augmenters  # noqa: E402
from aimass.augment.filter import Candidate, LabelFilter  # noqa: E402
from aimass.augment.pipeline import AugmentResult, augment_examples  # noqa: E402
from aimass.augment.select import choose_intents, score_intents  # noqa: E402
from aimass.evaluation.benchdata import (  # noqa: E402
    IntentExample,
    read_intent,
    split_half,
    write_jsonl,
)

log = logging.getLogger("augment_bench")

DATA = REPO.parent / "shared" / "data" / "intent" / "banking77"
TARGET_GAIN = 0.015  # issue 7: at least 1.5 accuracy points


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _mean_sd(values: list[float]) -> dict[str, float | None]:
    return {
        "mean": round(statistics.fmean(values), 4) if values else None,
        "sd": round(statistics.stdev(values), 4) if len(values) > 1 else None,
        "n": len(values),
    }


def run_seed(
    seed: int,
    train: list[IntentExample],
    dev_a: list[IntentExample],
    dev_b: list[IntentExample],
    args: argparse.Namespace,
    work: Path,
) -> dict[str, Any]:
    from aimass.evaluation.bench import bench_intent
    from aimass.runtime.predictor import TorchPredictor

    folder = work / f"seed{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    train_file = write_jsonl(folder / "train.jsonl", train)
    dev_file = write_jsonl(folder / "dev_a.jsonl", dev_a)
    test_file = write_jsonl(folder / "dev_b.jsonl", dev_b)
    overrides = {**parse_settings(args.set or []), "seed": seed}

    started = time.perf_counter()
    base = bench_intent(
        train_file, dev_file, test_file, overrides=overrides, model_out=folder / "base"
    )
    log.info("seed %d without augmentation: accuracy %.4f", seed, base["accuracy"])

    predictor = TorchPredictor(folder / "base")
    scores = None
    if args.intents.startswith("worst"):
        scores = score_intents(predictor, [e.text for e in dev_a], [e.label for e in dev_a])
    labels = list(dict.fromkeys(e.label for e in train))
    chosen = choose_intents(args.intents, labels, scores)
    names = args.augmenters.split(",")
    context = AugmentContext()
    if args.generator_url:  # the llm augmenter: rewrites from an OpenAI-compatible endpoint
        from aimass.generative import ChatEndpoint

        context.generator = ChatEndpoint.from_options(args.generator_url, args.generator_model)
        names = [n for n in names if n != "none"] + ["llm"] * ("llm" not in names)
    if "neighbour" in names:
        from aimass.augment.neighbours import token_word_vectors

        context.word_vectors = token_word_vectors(predictor, vocabulary=[e.text for e in train])
    aug_started = time.perf_counter()
    if names == ["none"]:  # only --candidates
        result = AugmentResult(
            selected=[], candidates=[], intents=list(chosen), settings={"seed": seed}
        )
    else:
        result = augment_examples(
            [(e.text, e.label) for e in train],
            build_augmenters(names, context),
            intents=chosen,
            per_example=args.per_example,
            seed=seed,
            scorer=predictor,
            threshold=args.threshold,
            oversample=args.oversample,
        )
    if args.candidates:
        add_candidates(result, args.candidates, train, set(chosen), predictor, args.threshold)
    aug_seconds = time.perf_counter() - aug_started
    report = result.report()
    added = [IntentExample(c.text, c.intent) for c in result.selected]
    log.info(
        "seed %d: %d candidates, %.1f%% rejected, %d added",
        seed,
        report["candidates"],
        100 * (report["rejected_share"] or 0),
        len(added),
    )
    write_jsonl(folder / "augmented.jsonl", [{**c.__dict__} for c in result.selected])
    keep = ("accuracy", "macro_f1", "ece", "n", "train_seconds", "epochs_run")
    extra: dict[str, Any] = {}
    if args.use == "soft":
        without, augmented, extra = soft_runs(seed, train, added, folder, dev_file, test_file, args)
        without["bench_intent_accuracy"] = base["accuracy"]
    else:
        aug_train = write_jsonl(folder / "train_augmented.jsonl", [*train, *added])
        augmented = bench_intent(aug_train, dev_file, test_file, overrides=overrides)
        without = {k: base.get(k) for k in keep}
        augmented = {k: augmented.get(k) for k in keep}
    log.info("seed %d with augmentation: accuracy %.4f", seed, augmented["accuracy"])
    return {
        "seed": seed,
        "without": without,
        "with": augmented,
        **extra,
        "gain": round(augmented["accuracy"] - without["accuracy"], 4),
        "augmentation": {
            **{k: v for k, v in report.items() if k != "intents"},
            "intents_augmented": len(report["intents"]),
            "train_examples": len(train),
            "added": len(added),
            "seconds": round(aug_seconds, 1),
        },
        "wall_seconds": round(time.perf_counter() - started, 1),
    }


def add_candidates(
    result: AugmentResult,
    path: Path,
    train: list[IntentExample],
    chosen: set[str],
    scorer: Any,
    threshold: float,
) -> None:
    """Pass rewrites made elsewhere (``{"text", "label"}`` lines, e.g. from a generative
    model: ``llm_candidates.py``) through the same label filter, and add the kept ones.

    They are deduplicated against the training texts and the rewrites already selected.
    """
    external = [
        Candidate(text=e.text, intent=e.label, source="", augmenter="external")
        for e in read_intent(path)
        if e.label in chosen
    ]
    LabelFilter(scorer, threshold).apply(
        external, [e.text for e in train] + [c.text for c in result.selected]
    )
    result.candidates.extend(external)
    result.selected.extend(c for c in external if c.kept)


def soft_runs(
    seed: int,
    train: list[IntentExample],
    added: list[IntentExample],
    folder: Path,
    dev_file: Path,
    test_file: Path,
    args: argparse.Namespace,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(without, with, control): the base model, its self-distilled copy on train + the
    augmented texts, and the copy distilled on train alone; each as served, on half b,
    scored like ``aimass bench intent`` scores a closed set (no confidence floor)."""
    from aimass.compress.chain import compress
    from aimass.compress.distill import DistillConfig
    from aimass.compress.student import StageData, StudentStage
    from aimass.config.project import Thresholds
    from aimass.evaluation.evaluate import read_labelled
    from aimass.evaluation.metrics import intent_metrics
    from aimass.runtime.predictor import load_predictor
    from aimass.runtime.scope import decide_texts

    test_texts, test_gold = read_labelled(test_file)

    def served(path: Path) -> dict[str, Any]:
        # bench_intent's rule: a set without out-of-scope examples is scored closed-set
        _, _, decided = decide_texts(load_predictor(path), test_texts, Thresholds(oos=0.0))
        m = intent_metrics(test_gold, [d[0] for d in decided], [d[1] for d in decided])
        return {
            "accuracy": float(m["accuracy"]),
            "macro_f1": float(m["macro_f1"]),
            "n": len(test_gold),
        }

    base = folder / "base"
    experts = (
        sorted(p.name for p in (base / "experts").iterdir()) if (base / "experts").is_dir() else []
    )
    data = ([e.text for e in train], [e.label for e in train])
    rows: dict[str, dict[str, Any]] = {"without": served(base)}
    for name, extra in (("with", [e.text for e in added]), ("control", [])):
        started = time.perf_counter()
        stage = StudentStage(
            StageData(data, read_labelled(dev_file), extra),
            expert_teachers=experts,
            config=DistillConfig(
                epochs=args.distill_epochs, max_minutes=args.distill_minutes, seed=seed
            ),
            artifact=base,
            cache_dir=folder / "teacher-cache",
            name=f"self-distilled-{name}",
        )
        report = compress(
            base,
            folder / f"soft-{name}",
            dev=test_file,
            select_dev=dev_file,
            int8=False,
            stages=[stage],
            max_accuracy_drop=100.0,  # measuring, not choosing: fp32 is the only candidate
            over_budget="keep-fp32",
            threads=args.threads,
        )
        rows[name] = {
            **served(folder / f"soft-{name}"),
            "chain_accuracy": report["stages"][-1]["metrics"].get("intent_accuracy"),
            "distill_seconds": round(time.perf_counter() - started, 1),
            "teacher_weights": stage.report.get("teacher_weights"),
        }
        log.info("seed %d %s: accuracy %.4f", seed, name, rows[name]["accuracy"])
    control = {
        "control": rows["control"],
        "self_distillation_gain": round(
            rows["control"]["accuracy"] - rows["without"]["accuracy"], 4
        ),
    }
    return rows["without"], rows["with"], control


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    without = [r["without"]["accuracy"] for r in runs]
    with_aug = [r["with"]["accuracy"] for r in runs]
    gains = [r["gain"] for r in runs]
    shares = [r["augmentation"]["rejected_share"] for r in runs]
    reasons: dict[str, int] = {}
    for r in runs:
        for k, v in r["augmentation"]["by_reason"].items():
            reasons[k] = reasons.get(k, 0) + v
    gain = _mean_sd(gains)
    control = [r["control"]["accuracy"] for r in runs if "control" in r]
    return {
        "accuracy_without": _mean_sd(without),
        "accuracy_with": _mean_sd(with_aug),
        "accuracy_control": _mean_sd(control),
        "gain_over_control": _mean_sd(
            [r["with"]["accuracy"] - r["control"]["accuracy"] for r in runs if "control" in r]
        ),
        "gain": gain,
        "rejected_share": _mean_sd([s for s in shares if s is not None]),
        "rejected_by_reason": reasons,
        "target_gain": TARGET_GAIN,
        "target_met": (gain["mean"] is not None and gain["mean"] >= TARGET_GAIN),
    }


def markdown(result: dict[str, Any]) -> str:
    s, cfg = result["summary"], result["config"]

    def pm(m: dict[str, Any], scale: float = 100.0) -> str:
        if m["mean"] is None:
            return "n/a"
        sd = f" ± {m['sd'] * scale:.2f}" if m["sd"] is not None else ""
        return f"{m['mean'] * scale:.2f}{sd}"

    lines = [
        "# Augmentation benchmark: BANKING77 10-shot",
        "",
        f"Train `{cfg['train']}`; selection on dev half a, accuracy on dev half b"
        f" (`split_half(seed=0)`, n={result['runs'][0]['without']['n'] if result['runs'] else 0});"
        f" seeds {cfg['seeds']}; augmenters `{cfg['augmenters']}`"
        + (f" + candidates from `{cfg['candidates']}`" if cfg.get("candidates") else "")
        + f"; intents `{cfg['intents']}`;"
        f" {cfg['per_example']} per example; filter threshold {cfg['threshold']};"
        f" augmented examples used as `{cfg.get('use', 'hard')}` labels"
        + (
            " (self-distillation on train + augmented texts, teachers = the model and its"
            " experts; the students served as fp32 ONNX)"
            if cfg.get("use") == "soft"
            else ""
        )
        + ".",
        "",
        "| | accuracy (%, mean ± sd) |",
        "|---|---|",
        f"| without augmentation | {pm(s['accuracy_without'])} |",
        f"| with augmentation | {pm(s['accuracy_with'])} |",
        f"| gain (points) | {pm(s['gain'])} |",
        *(
            [
                f"| control: self-distilled without the augmented texts | "
                f"{pm(s['accuracy_control'])} |",
                f"| gain of the augmented texts over the control | {pm(s['gain_over_control'])} |",
            ]
            if s.get("accuracy_control", {}).get("mean") is not None
            else []
        ),
        "",
        f"Target: gain ≥ {TARGET_GAIN * 100:.1f} points — "
        + ("**met**" if s["target_met"] else "**not met**"),
        "",
        f"Label filter: {pm(s['rejected_share'])} % of candidates rejected on average; by reason"
        " (all seeds): " + ", ".join(f"{k} {v}" for k, v in s["rejected_by_reason"].items()),
        "",
        "| seed | without | with | gain | control | candidates | rejected | added |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["runs"]:
        a = r["augmentation"]
        control = f"{r['control']['accuracy'] * 100:.2f}" if "control" in r else "—"
        lines.append(
            f"| {r['seed']} | {r['without']['accuracy'] * 100:.2f} | {r['with']['accuracy'] * 100:.2f}"
            f" | {r['gain'] * 100:+.2f} | {control} | {a['candidates']} | {a['rejected']}"
            f" ({(a['rejected_share'] or 0) * 100:.1f}%) | {a['added']} |"
        )
    lines += [
        "",
        f"Measured {result['measured_at']} at commit {result['git_commit']}"
        f" (load average at start {result['loadavg_1_5_15']}).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DATA, help="folder with train_10.jsonl, dev.jsonl")
    p.add_argument("--train-file", default="train_10.jsonl")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--per-example", type=int, default=3)
    p.add_argument(
        "--augmenters",
        default=",".join(DEFAULT_AUGMENTERS),
        help="registered augmenters, comma-separated; none: only --candidates",
    )
    p.add_argument(
        "--candidates",
        type=Path,
        default=None,
        help="JSONL of rewrites made elsewhere (text, label), filtered like the others",
    )
    p.add_argument(
        "--generator-url",
        default=None,
        help="an OpenAI-compatible API whose model adds the llm augmenter's rewrites"
        " (key in $AIMASS_GENERATOR_API_KEY)",
    )
    p.add_argument("--generator-model", default="", help="with --generator-url: the model name")
    p.add_argument("--intents", default="all", help="all, or worst:K by F1 on dev half a")
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--oversample", type=int, default=3)
    p.add_argument(
        "--use",
        choices=("hard", "soft"),
        default="hard",
        help="hard: train on the augmented examples' labels; soft: self-distil on them",
    )
    p.add_argument("--distill-epochs", type=float, default=4.0, help="--use soft")
    p.add_argument("--distill-minutes", type=float, default=None, help="--use soft: cap")
    p.add_argument("--threads", type=int, default=2, help="--use soft: chain threads")
    p.add_argument("--limit-intents", type=int, default=0, help="smoke runs: first N intents only")
    p.add_argument("--set", action="append", help="training override KEY=VALUE (repeatable)")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "augment")
    p.add_argument("--work", type=Path, default=None, help="keep models here (default: temp)")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    log.setLevel(logging.INFO)

    train = read_intent(args.data / args.train_file)
    dev_a, dev_b = split_half(read_intent(args.data / "dev.jsonl"), "label", seed=0)
    if args.limit_intents:
        keep = set(list(dict.fromkeys(e.label for e in train))[: args.limit_intents])
        train, dev_a, dev_b = (
            [e for e in rows if e.label in keep] for rows in (train, dev_a, dev_b)
        )
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    loadavg = [round(x, 2) for x in os.getloadavg()]
    runs = []
    with tempfile.TemporaryDirectory(prefix="aimass-augment-bench-") as tmp:
        work = args.work or Path(tmp)
        for seed in seeds:
            runs.append(run_seed(seed, train, dev_a, dev_b, args, work))
    result = {
        "benchmark": "augment",
        "config": {
            "train": str(args.data / args.train_file),
            "seeds": seeds,
            "per_example": args.per_example,
            "augmenters": args.augmenters,
            "candidates": str(args.candidates) if args.candidates else None,
            "generator": (
                {"url": args.generator_url, "model": args.generator_model}
                if args.generator_url
                else None
            ),
            "intents": args.intents,
            "threshold": args.threshold,
            "oversample": args.oversample,
            "use": args.use,
            "distill_epochs": args.distill_epochs if args.use == "soft" else None,
            "limit_intents": args.limit_intents,
            "overrides": parse_settings(args.set or []),
        },
        "summary": summarise(runs),
        "runs": runs,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "loadavg_1_5_15": loadavg,
    }
    _write_atomic(
        args.out / "augment_bench.json", json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    )
    _write_atomic(args.out / "augment_bench.md", markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
