"""Calibration fitted on dev, stored in the artifact, used unchanged in production.

- Temperature scaling of the intent and profile logits (Guo et al. 2017): one scalar per
  head that minimises dev negative log-likelihood; it changes confidences, never the argmax.
- The out-of-scope threshold on the top in-scope probability, chosen on dev.
- The combined out-of-scope score (``fit_scope``): calibrated confidence and the cosine to
  the nearest class prototype in the embedding space, one threshold; the runtime applies it
  with ``aimass.runtime.scope.decide``.
- Question matching (``fit_pair_fusion``): the pair head's logit combined with how much of the
  two questions' characters they share, by a logistic regression on dev, then the threshold
  on the combined score; ``served_pair_logits`` applies both wherever pairs are scored.
- FAQ confidence: a logistic map from the best match's cosine (and its margin over the
  runner-up) to the probability that the top FAQ is right. Raw cosines of E5 sit in a narrow
  band (MODELS.md) and mean nothing as thresholds until mapped like this.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aimass.model.logreg import log_softmax

OOS = "oos"
# Dev out-of-scope examples needed before ``fit_scope`` aims at a catch-rate target.
MIN_OOS_FOR_TARGET = 20


def fit_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """Temperature minimising the NLL of softmax(logits / T); a log-spaced grid then a
    finer one is robust, has no learning rate to tune and costs milliseconds."""
    if len(targets) == 0:
        return 1.0

    def nll(t: float) -> float:
        return float(-log_softmax(logits / t)[np.arange(len(targets)), targets].mean())

    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 120))
    best = min(grid, key=nll)
    fine = np.exp(np.linspace(np.log(best) - 0.06, np.log(best) + 0.06, 25))
    return float(min(fine, key=nll))


def fit_fusion(
    nn_logits: np.ndarray, experts: list[np.ndarray], targets: np.ndarray
) -> tuple[list[float], float]:
    """Expert weights and the temperature of the product of experts (model/experts.py) with
    the lowest dev NLL, by coordinate descent over a grid; weight 0 (leaving an expert out)
    is always a candidate, so the fusion is never worse on dev than the transformer alone."""
    from aimass.model.experts import fuse

    if len(targets) == 0:
        return [0.0] * len(experts), 1.0
    a = log_softmax(nn_logits.astype(np.float64))
    logps = [log_softmax(e.astype(np.float64)) for e in experts]
    weights = [0.0] * len(experts)

    def score(ws: list[float]) -> tuple[float, float]:
        z = a + sum(w * lp for w, lp in zip(ws, logps, strict=True))
        t = fit_temperature(z, targets)
        p = fuse(nn_logits, list(zip(ws, experts, strict=True)), t)
        return float(-np.mean(np.log(p[np.arange(len(targets)), targets] + 1e-12))), t

    best_nll, best_t = score(weights)
    for _ in range(2):
        for k in range(len(experts)):
            for w in (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0):
                trial = list(weights)
                trial[k] = w
                nll, t = score(trial)
                if nll < best_nll - 1e-9:
                    best_nll, best_t, weights = nll, t, trial
    return weights, best_t


def fit_binary_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """Temperature for independent sigmoids (profile tags)."""
    if targets.size == 0:
        return 1.0

    def nll(t: float) -> float:
        z = logits / t
        return float(np.mean(np.logaddexp(0, z) - targets * z))

    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 120))
    return float(min(grid, key=nll))


def choose_oos_threshold(
    probs: np.ndarray, labels: list[str], gold: list[str], default: float, oos_cost: float = 1.0
) -> float:
    """Threshold on the top in-scope probability below which a message is out of scope.

    With out-of-scope examples in dev: the threshold that maximises dev accuracy over all
    examples, an out-of-scope example counting ``oos_cost`` times (the cost of answering an
    off-topic message against that of refusing an in-scope one). With none: the project's
    default, since dev cannot tell how off-topic messages score.
    """
    if OOS not in gold:
        return default
    in_scope = [i for i, lab in enumerate(labels) if lab != OOS]
    top = probs[:, in_scope].max(1)
    arg = np.array([labels[in_scope[j]] for j in probs[:, in_scope].argmax(1)])
    oos_col = labels.index(OOS) if OOS in labels else None
    model_says_oos = (
        probs.argmax(1) == oos_col if oos_col is not None else np.zeros(len(gold), dtype=bool)
    )
    g = np.array(gold)
    w = np.where(g == OOS, oos_cost, 1.0)
    best_t, best_acc = 0.0, -1.0
    for t in np.unique(np.concatenate([[0.0], np.round(top, 4)])):
        pred = np.where(model_says_oos | (top < t), OOS, arg)
        acc = float(np.sum(w * (pred == g)))
        if acc > best_acc + 1e-9:
            best_t, best_acc = float(t), acc
    return best_t


def fit_match_confidence(
    top1: np.ndarray, margin: np.ndarray, correct: np.ndarray
) -> dict[str, float]:
    """Logistic regression of "the top FAQ is right" on (cosine, margin); coefficients only,
    so the runtime applies it with numpy and nothing else."""
    if len(correct) < 4 or correct.all() or not correct.any():
        # Not enough signal on dev: a conservative map centred on a cosine of 0.85.
        return {"w_score": 25.0, "w_margin": 0.0, "bias": -21.25, "fitted": 0.0}
    from sklearn.linear_model import LogisticRegression

    x = np.stack([top1, margin], axis=1)
    lr = LogisticRegression(C=10.0, max_iter=1000).fit(x, correct.astype(int))
    return {
        "w_score": float(lr.coef_[0, 0]),
        "w_margin": float(lr.coef_[0, 1]),
        "bias": float(lr.intercept_[0]),
        "fitted": 1.0,
    }


def match_confidence(params: dict[str, float], top1: np.ndarray, margin: np.ndarray) -> np.ndarray:
    z = params["w_score"] * top1 + params["w_margin"] * margin + params["bias"]
    return 1.0 / (1.0 + np.exp(-z))


def class_prototypes(
    vectors: np.ndarray, labels: list[str], order: list[str]
) -> tuple[np.ndarray, list[str]]:
    """L2-normalised mean embedding of each in-scope label (in ``order``) that has examples."""
    lab = np.array(labels)
    protos, names = [], []
    for name in order:
        if name == OOS:
            continue
        rows = vectors[lab == name]
        if len(rows):
            m = rows.mean(0)
            protos.append(m / max(float(np.linalg.norm(m)), 1e-12))
            names.append(name)
    h = vectors.shape[1] if vectors.ndim == 2 else 0
    return (np.stack(protos) if protos else np.zeros((0, h), np.float32)), names


def fit_scope(
    prototypes: np.ndarray,
    dev_probs: np.ndarray,
    dev_vectors: np.ndarray,
    labels: list[str],
    gold: list[str],
    msp_threshold: float,
    *,
    target_recall: float = 0.99,
    oos_cost: float = 1.0,
    oos_target_recall: float | None = None,
) -> dict[str, Any]:
    """The combined in-scope score and its threshold, fitted on dev (see runtime/scope.py).

    With dev out-of-scope examples: a class-balanced logistic regression of in-scope vs
    out-of-scope on the two standardised signals, then the threshold with the best dev
    accuracy of the whole rule (plain rule first, as served), an out-of-scope example
    counting ``oos_cost`` times; "no extra threshold" is a
    candidate, so the rule is never worse on dev than the plain one. With
    ``oos_target_recall`` and at least ``MIN_OOS_FOR_TARGET`` dev out-of-scope examples,
    thresholds that catch at least that share of them come first (the best weighted accuracy
    among them); if none does, the best weighted accuracy overall. Without them: the two
    signals averaged, and the threshold that keeps ``target_recall`` of the in-scope dev
    messages the plain rule keeps.
    """
    from aimass.runtime.scope import classify, pack, scope_features

    feats = scope_features(dev_probs, dev_vectors, labels, prototypes)
    g = np.array(gold)
    is_in = g != OOS
    base = feats[is_in] if is_in.any() else feats
    centre = base.mean(0)
    # Floors keep a saturated dev set (every confidence ~1) from blowing one signal up.
    scale = np.maximum(base.std(0), np.array([0.25, 0.01]))
    z = (feats - centre) / scale
    plain = [classify(p, labels, msp_threshold) for p in dev_probs]
    kept = np.array([not d[2] for d in plain])
    pred = np.array([d[0] for d in plain])
    from_dev = bool((~is_in).any() and is_in.any())
    weights, bias = np.array([0.5, 0.5]), 0.0
    if from_dev:
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
        lr.fit(z, is_in.astype(int))
        weights, bias = lr.coef_[0].astype(np.float64), float(lr.intercept_[0])
    score = z @ weights + bias
    if from_dev:
        w = np.where(g == OOS, oos_cost, 1.0)
        # A catch rate measured on a handful of examples is too coarse to aim at (4 of 5 is
        # 0.8: a 0.9 target would demand all 5, whatever it costs in-scope).
        enough = (~is_in).sum() >= MIN_OOS_FOR_TARGET
        target = oos_target_recall if oos_target_recall is not None and enough else -1.0

        def key(decided: np.ndarray) -> tuple[bool, float]:
            caught = float(np.mean(decided[~is_in] == OOS))
            return caught >= target - 1e-9, float(np.sum(w * (decided == g)))

        best_t, best = -np.inf, key(pred)
        for t in np.unique(score[kept]):
            k = key(np.where(kept & (score < t), OOS, pred))
            if k[0] > best[0] or (k[0] == best[0] and k[1] > best[1] + 1e-9):
                best_t, best = float(t), k
        threshold = best_t
    else:
        kept_in = score[kept & is_in]
        # The lower of two estimates of the (1 - target) quantile of in-scope scores: the
        # empirical one ("lower": never more dev rejections than the target allows) and a
        # normal fit (mean - z * sd). On a small dev set the empirical quantile is the
        # minimum, which new in-scope messages fall below far more often than the target
        # says; the normal fit keeps the rule from rejecting them.
        from scipy.stats import norm

        threshold = (
            min(
                float(np.quantile(kept_in, 1.0 - target_recall, method="lower")),
                float(kept_in.mean() - norm.ppf(target_recall) * kept_in.std()),
            )
            if len(kept_in)
            else -np.inf
        )
    decided = np.where(kept & (score < threshold), OOS, pred)
    return {
        "method": "confidence+prototype",
        "prototypes": pack(prototypes),
        "centre": [float(x) for x in centre],
        "scale": [float(x) for x in scale],
        "weights": [float(x) for x in weights],
        "bias": bias,
        # JSON has no infinity: a threshold below every score means "no extra rejection".
        "threshold": float(threshold) if np.isfinite(threshold) else -1e9,
        "from_dev": from_dev,
        "target": (
            f"dev accuracy, out-of-scope examples weighted {oos_cost:g}"
            + (f", among thresholds that catch {target:g} of them" if target >= 0 else "")
            if from_dev
            else f"in-scope recall {target_recall}"
        ),
        "dev_in_scope_recall": float(np.mean(decided[is_in] != OOS)) if is_in.any() else None,
        "dev_oos_recall": float(np.mean(decided[~is_in] == OOS)) if (~is_in).any() else None,
    }


def example_bank(
    texts: list[str],
    labels: list[str],
    vectors: np.ndarray,
    *,
    per_label: int = 3,
    limit: int = 300,
    seed: int = 0,
) -> dict[str, Any]:
    """A small, bounded sample of training examples with their embeddings, for the "nearest
    training examples" of an explanation (an artifact does not otherwise keep its data)."""
    from aimass.runtime.scope import pack

    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, lab in enumerate(labels):
        by_label.setdefault(lab, []).append(i)
    per = max(1, min(per_label, limit // max(1, len(by_label))))
    chosen: list[int] = []
    for lab in sorted(by_label):
        chosen.extend(int(i) for i in rng.permutation(by_label[lab])[:per])
    chosen = sorted(chosen[:limit])
    return {
        "texts": [texts[i] for i in chosen],
        "labels": [labels[i] for i in chosen],
        "vectors": pack(vectors[chosen]),
    }


# ------------------------------------------------------------------ question matching


def pair_overlap_features(a: list[str], b: list[str]) -> np.ndarray:
    """Jaccard overlap of the two questions' characters and character bigrams, ``(N, 2)``.

    Why: a bi-encoder scores "花呗怎么还款" and "借呗怎么还款" as near-identical because
    nearly every character is shared, while in matching data (AFQMC) such near-copies that
    differ in one product name are often different questions. Fitted on dev, the overlap's
    weight comes out negative: it discounts what the cosine over-counts (+1.35 accuracy on
    AFQMC dev half b in the analysis that chose these features; benchmarks/README.md).
    """
    import unicodedata

    def grams(text: str, n: int) -> set[str]:
        t = "".join(unicodedata.normalize("NFKC", text).casefold().split())
        return {t[i : i + n] for i in range(max(1, len(t) - n + 1))}

    out = np.zeros((len(a), 2), dtype=np.float64)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        for j, n in enumerate((1, 2)):
            gx, gy = grams(x, n), grams(y, n)
            out[i, j] = len(gx & gy) / max(1, len(gx | gy))
    return out


def fit_pair_fusion(logits: np.ndarray, feats: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Logistic regression of "same question" on (pair logit, overlap features), fitted on dev;
    coefficients on the raw features (standardisation folded in), so serving is a dot
    product. With too little dev data it is the identity (the logit alone)."""
    y = np.asarray(labels, dtype=np.int64)
    if len(y) < 20 or y.all() or not y.any():
        return {"w_logit": 1.0, "w_overlap": [0.0] * feats.shape[1], "bias": 0.0, "fitted": 0.0}
    from sklearn.linear_model import LogisticRegression

    x = np.column_stack([logits, feats])  # (N, 1 + F)
    mean, scale = x.mean(0), x.std(0) + 1e-9
    lr = LogisticRegression(C=100.0, max_iter=1000).fit((x - mean) / scale, y)
    coef = lr.coef_[0] / scale
    bias = float(lr.intercept_[0] - np.sum(lr.coef_[0] * mean / scale))
    return {
        "w_logit": float(coef[0]),
        "w_overlap": [float(c) for c in coef[1:]],
        "bias": bias,
        "fitted": 1.0,
    }


def served_pair_logits(
    calibration: dict[str, Any],
    logits: np.ndarray,
    a: list[str],
    b: list[str],
    feats: np.ndarray | None = None,
) -> np.ndarray:
    """The pair score production thresholds with ``pair_threshold_logit``: the head's logit
    fused by ``pair_fusion`` when the artifact has one (older artifacts: the logit).
    ``feats``: ``pair_overlap_features(a, b)`` when the caller has them already."""
    params = calibration.get("pair_fusion")
    if not params:
        return np.asarray(logits, dtype=np.float64)
    if feats is None:
        feats = pair_overlap_features(a, b)
    return (
        params["w_logit"] * np.asarray(logits, dtype=np.float64)
        + feats @ np.asarray(params["w_overlap"], dtype=np.float64)
        + params["bias"]
    )
