"""Training a student as it is served: its intent logits fused with the artifact's experts.

At serving, a student's intent head is not read alone: :func:`aimass.model.experts.fuse` adds
the log-probabilities of the artifact's intent experts (TF-IDF n-grams, frozen-encoder
classifiers) with weights fitted on dev. A student trained on its own logits spends its
capacity on what those experts already know, and fusing them again counts that evidence
twice; this is why a distilled student that beats a labels-only one on its own can tie or
trail it once both are fused (benchmarks/README.md, compression runs of 2026-12-02/03).
Trained *as served*, the student's loss is computed on the fused distribution

    log p(c | x) = log_softmax(student(x))_c + sum_e w_e log_softmax(expert_e(x))_c + const,

so its gradient goes where the experts are wrong or unsure: what is sometimes called
residual or product-of-experts training, and what stacking does with out-of-fold
predictions.

The experts were fitted on the training messages, so on those (and on rewrites of them) they
are much surer than on a customer's message; a student trained against those offsets would
learn too little. Offsets for training messages are therefore *out of fold*: ``folds``
refits of each expert's classifier (the same features, the same regularisation), each
predicting the messages it did not see, and a rewrite of a message gets the prediction of
the refit that did not see the message it rewrites. Dev messages and texts unrelated to the
training messages get the served experts' own predictions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from aimass.model.experts import to_label_order
from aimass.model.logreg import fit_logreg, log_softmax

__all__ = ["fold_of", "served_offsets"]


def fold_of(text: str, folds: int) -> int:
    """A stable fold for ``text`` (the same in every process, unlike ``hash``)."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) % folds


def _features(expert: Any, texts: list[str]) -> Any:
    """What the expert's linear classifier reads: TF-IDF n-grams or standardised vectors."""
    if hasattr(expert, "features"):
        return expert.features(texts)
    return expert.encode(texts)


def _expert_logits(
    expert: Any,
    train: tuple[list[str], list[str]],
    texts: list[str],
    source_of: Mapping[str, str],
    folds: int,
    memo: dict[Any, Any],
) -> np.ndarray:
    """The expert's logits for ``texts`` (its own label order): out of fold for training
    messages and their rewrites, the expert's own for every other text. ``memo`` keeps, for
    this expert, the rows already computed and the fold refits (with the training features
    they need, computed once)."""
    done: dict[str, np.ndarray] = memo.setdefault("rows", {})
    todo = [t for t in dict.fromkeys(texts) if t not in done]
    train_texts, train_labels = train
    index = {lab: i for i, lab in enumerate(expert.labels)}
    rows = [i for i, lab in enumerate(train_labels) if lab in index]
    in_train = {train_texts[i] for i in rows}
    origin = [source_of.get(t, t) for t in todo]
    fold_at = [fold_of(o, folds) if o in in_train else -1 for o in origin]
    plain = [t for t, f in zip(todo, fold_at, strict=True) if f < 0]
    if plain:
        done.update(zip(plain, expert.logits(plain), strict=True))
    for k in sorted({f for f in fold_at if f >= 0}):
        held = [t for t, f in zip(todo, fold_at, strict=True) if f == k]
        if ("fold", k) not in memo:
            if "train" not in memo:  # the training features, once for every fold
                memo["train"] = (
                    _features(expert, [train_texts[i] for i in rows]),
                    np.array([index[train_labels[i]] for i in rows], dtype=np.int64),
                    np.array([fold_of(train_texts[i], folds) for i in rows]),
                )
            x, y, train_fold = memo["train"]
            fit = np.flatnonzero(train_fold != k)
            # one message alone in training: nothing to refit on; the expert's own guess
            memo["fold", k] = (
                fit_logreg(x[fit], y[fit], x[:0], y[:0], len(expert.labels), (float(expert.c),))[:2]
                if len(fit)
                else None
            )
        if memo["fold", k] is None:
            done.update(zip(held, expert.logits(held), strict=True))
            continue
        coef, intercept = memo["fold", k]
        logits = np.asarray(_features(expert, held) @ coef.T) + intercept
        done.update(zip(held, logits, strict=True))
    if not texts:
        return np.zeros((0, len(expert.labels)))
    return np.stack([done[t] for t in texts])


def served_offsets(
    experts: Mapping[str, Any],
    weights: Mapping[str, float],
    labels: Sequence[str],
    train: tuple[list[str], list[str]],
    texts: list[str],
    *,
    sources: Mapping[str, str] | None = None,
    folds: int = 5,
    memo: dict[Any, Any] | None = None,
) -> np.ndarray:
    """``sum_e w_e log_softmax(expert_e(text))`` for each text, ``(N, len(labels))`` float32,
    in ``labels`` order: what the served fusion adds to a student's log-probabilities.
    ``sources`` maps a rewrite to the training message it rewrites. Experts with weight 0
    add nothing; with none, the offsets are zeros (training as served is then plain
    training). Pass the same ``memo`` dict to calls with the same experts, training
    messages, sources and folds to reuse the fold refits and the rows already computed."""
    memo = {} if memo is None else memo
    total = np.zeros((len(texts), len(labels)))
    for name, expert in experts.items():
        w = float(weights.get(name, 0.0))
        if not w or not texts:
            continue
        own = memo.setdefault((name, getattr(expert, "kind", ""), float(expert.c)), {})
        logits = _expert_logits(expert, train, texts, sources or {}, max(2, folds), own)
        total += w * log_softmax(to_label_order(logits, expert.labels, labels))
    return total.astype(np.float32)
