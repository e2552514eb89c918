"""A five-minute screen of an augmentation source before the full run of ``augment_bench.py``.

Does a set of rewrites carry information a classifier can use? Logistic regressions on three
frozen encoders (MiniLM, USE, e5; the experts the served model fuses are of this kind) are fitted
on BANKING77 ``train_10.jsonl`` alone and with each candidate set added as examples (weight 1
and 0.3, C chosen on dev half a), and scored on half b, each encoder alone and as the sum of
their log-probabilities. A second probe averages each dev message's prediction with those of
four of its rewrites (test-time augmentation). A source that moves nothing here is unlikely to
add the +1.5 points issue 7 asks of the full fine-tuned run (one message of half b = 0.26).

Candidate sets: ``rules`` (the default augmenters, 3 per example, no filter), ``crossover``
(within an intent, the first sentence of one multi-sentence example joined to the rest of
another: recombination without new words), and ``--candidates FILE`` (JSONL of
``{"text", "label"}``, e.g. from ``llm_candidates.py`` or ``aimass augment -o X.jsonl``).

    .venv/bin/python benchmarks/augment_probe.py --candidates /tmp/llm16.jsonl

Writes ``<out>/augment_probe.json`` and ``augment_probe.md``; vectors are cached under
``--cache`` (benchmarks/work/vectors) so a second run encodes only a new candidate file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from benchkit import git_commit, write_atomic  # noqa: E402

from aimass.augment import DEFAULT_AUGMENTERS, build_augmenters, rng_for  # noqa: E402
from aimass.augment.pipeline import augment_examples  # noqa: E402
from aimass.evaluation.benchdata import read_intent, split_half  # noqa: E402
from aimass.evaluation.evaluate import read_labelled  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "intent" / "banking77"
C_GRID = (0.01, 0.03, 0.1, 0.3)
TTA_AUGMENTERS = ("synonym", "eda_swap", "eda_insert", "eda_delete", "keyboard")


def crossover(examples: list[tuple[str, str]], per_intent: int, seed: int) -> list[tuple[str, str]]:
    pieces = re.compile(r"(?<=[.?!])\s+")
    rng = random.Random(seed)
    by: dict[str, list[str]] = {}
    for text, label in examples:
        by.setdefault(label, []).append(text)
    out = []
    for label, texts in sorted(by.items()):
        split = [[p for p in pieces.split(t.strip()) if p] for t in texts]
        heads = [p[0] for p in split if len(p) > 1]
        tails = [" ".join(p[1:]) for p in split if len(p) > 1]
        tails += [p[0] for p in split if len(p) == 1 and p[0].endswith("?")]
        combos = sorted({f"{h} {t}" for h in heads for t in tails} - set(texts))
        rng.shuffle(combos)
        out += [(c, label) for c in combos[:per_intent]]
    return out


def fit_probe(x: np.ndarray, y: np.ndarray, w: np.ndarray, xa: np.ndarray, ya: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    best = None
    for c in C_GRID:
        model = LogisticRegression(C=c, max_iter=2000).fit(x, y, sample_weight=w)
        acc = float((model.predict(xa) == ya).mean())
        if best is None or acc > best[0]:
            best = (acc, c, model)
    assert best is not None
    return best


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--encoders", default="minilm,use,e5")
    p.add_argument("--candidates", type=Path, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    p.add_argument("--cache", type=Path, default=REPO / "benchmarks" / "work" / "vectors")
    args = p.parse_args(argv)

    from aimass.encoders.frozen import CachedEncoder, get_frozen_encoder

    train = [(e.text, e.label) for e in read_intent(args.data / "train_10.jsonl")]
    dev = read_intent(args.data / "dev.jsonl")
    half_a, half_b = split_half(dev, "label", seed=0)
    labels = sorted({lab for _, lab in train})
    index = {lab: i for i, lab in enumerate(labels)}
    rules = augment_examples(
        train, build_augmenters(list(DEFAULT_AUGMENTERS)), per_example=3, seed=args.seed
    )
    sets: dict[str, list[tuple[str, str]]] = {
        "rules": [(c.text, c.intent) for c in rules.selected],
        "crossover": crossover(train, 30, args.seed),
    }
    if args.candidates:
        texts, labels_of = read_labelled(args.candidates)  # {text, label} or {text, intent}
        sets["candidates"] = list(zip(texts, labels_of, strict=True))
    tta_augs = build_augmenters(list(TTA_AUGMENTERS))

    def rewrites(text: str, k: int = 4) -> list[str]:
        out = [v for a in tta_augs for v in a(text, rng_for(args.seed, a.name, text))]
        return (out + [text] * k)[:k]

    ya = np.array([index[e.label] for e in half_a])
    yb = np.array([index[e.label] for e in half_b])
    y0 = np.array([index[lab] for _, lab in train])
    rows: list[dict[str, Any]] = []
    summed: dict[tuple[str, float], list[np.ndarray]] = {}  # half b
    summed_a: dict[tuple[str, float], list[np.ndarray]] = {}  # half a
    for name in args.encoders.split(","):
        enc = CachedEncoder(get_frozen_encoder(name), args.cache)

        def vec(texts: list[str], enc: Any = enc) -> np.ndarray:
            return np.asarray(enc.encode(texts), dtype=np.float64)

        x0 = vec([t for t, _ in train])
        mu, sd = x0.mean(0), x0.std(0) + 1e-6
        xa = (vec([e.text for e in half_a]) - mu) / sd
        xb = (vec([e.text for e in half_b]) - mu) / sd
        variants = [("none", 1.0)] + [(s, w) for s in sets for w in (1.0, 0.3)]
        for set_name, weight in variants:
            extra = sets.get(set_name, [])
            x = np.vstack([x0, vec([t for t, _ in extra])]) if extra else x0
            y = np.concatenate([y0, [index[lab] for _, lab in extra]]).astype(int)
            w = np.concatenate([np.ones(len(y0)), np.full(len(extra), weight)])
            acc_a, c, model = fit_probe((x - mu) / sd, y, w, xa, ya)
            lb = model.predict_log_proba(xb)
            summed_a.setdefault((set_name, weight), []).append(model.predict_log_proba(xa))
            rows.append(
                {
                    "encoder": name,
                    "added": set_name,
                    "weight": weight,
                    "n_added": len(extra),
                    "c": c,
                    "half_a": round(100 * acc_a, 2),
                    "half_b": round(100 * float((lb.argmax(1) == yb).mean()), 2),
                }
            )
            summed.setdefault((set_name, weight), []).append(lb)
            if set_name == "none":  # test-time augmentation on the base probe
                rw = [rewrites(e.text) for e in half_b]
                xr = (vec([t for r in rw for t in r]) - mu) / sd
                lr = model.predict_log_proba(xr).reshape(len(half_b), 4, -1).mean(1)
                tta = 0.5 * lb + 0.5 * lr
                rows.append(
                    {
                        "encoder": name,
                        "added": "none, test-time averaging over 4 rewrites",
                        "weight": 1.0,
                        "n_added": 0,
                        "c": c,
                        "half_a": None,
                        "half_b": round(100 * float((tta.argmax(1) == yb).mean()), 2),
                    }
                )
                summed.setdefault(("tta", 1.0), []).append(tta)
                rwa = [rewrites(e.text) for e in half_a]
                xra = (vec([t for r in rwa for t in r]) - mu) / sd
                lra = model.predict_log_proba(xra).reshape(len(half_a), 4, -1).mean(1)
                summed_a.setdefault(("tta", 1.0), []).append(
                    0.5 * model.predict_log_proba(xa) + 0.5 * lra
                )
    for (set_name, weight), parts in summed.items():
        total = np.sum(parts, axis=0)
        total_a = np.sum(summed_a[(set_name, weight)], axis=0)
        rows.append(
            {
                "encoder": "sum",
                "added": "none, test-time averaging over 4 rewrites"
                if set_name == "tta"
                else set_name,
                "weight": weight,
                "n_added": len(sets.get(set_name, [])),
                "c": None,
                "half_a": round(100 * float((total_a.argmax(1) == ya).mean()), 2),
                "half_b": round(100 * float((total.argmax(1) == yb).mean()), 2),
            }
        )
    meta = {
        "commit": git_commit(),
        "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "train": str(args.data / "train_10.jsonl"),
        "half_b": len(half_b),
        "candidates": str(args.candidates) if args.candidates else None,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomic(
        args.out / "augment_probe.json", json.dumps({"meta": meta, "rows": rows}, indent=1)
    )
    lines = [
        "# Augmentation probe: frozen encoders + logistic regression, BANKING77 10-shot",
        "",
        "Accuracy (%) on dev halves a (selects: C, and which variant to believe) and b (385"
        " messages each; one message = 0.26 points). `sum`: the encoders' log-probabilities"
        " added, as the served model fuses its experts.",
        "",
        "| encoder | added | weight | n added | half a | half b |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        half_a = "—" if r["half_a"] is None else f"{r['half_a']:.2f}"
        lines.append(
            f"| {r['encoder']} | {r['added']} | {r['weight']:g} | {r['n_added']} | {half_a}"
            f" | {r['half_b']:.2f} |"
        )
    lines += ["", f"Measured {meta['measured']} at commit {meta['commit']}.", ""]
    write_atomic(args.out / "augment_probe.md", "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
