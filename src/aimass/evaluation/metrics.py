"""Benchmark metrics for the three task kinds, with the keys fixed by PRODUCT.md.

Every number a benchmark reports goes through these functions, so `aimass bench`, the
baselines and the reports cannot drift apart in what "accuracy" or "oos_recall" means.

Conventions (they matter when comparing systems):

- Rates are fractions in [0, 1]. A metric that is undefined for the data (no out-of-scope
  examples, a single class, no confidences) is ``None`` (JSON ``null``), never NaN, so a JSON
  file always parses and a reader sees "not applicable" rather than a bogus zero.
- Intent: ``in_scope_accuracy`` counts only gold in-scope examples, and predicting ``oos`` for
  one of them is wrong; ``oos_recall`` is the share of gold ``oos`` predicted ``oos``;
  ``oos_precision`` is the share of ``oos`` predictions that were gold ``oos`` (0.0 when the
  system never predicts ``oos`` although the data has some, as scikit-learn's
  ``zero_division=0``). ``macro_f1`` averages over the labels in gold ∪ predicted.
- ``ece``: expected calibration error of the top-1 confidence against correctness, with
  equal-width bins (15 by default, as in Guo et al. 2017).

Only numpy, scipy and scikit-learn: no torch, so the metrics import fast anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "best_threshold",
    "confusion",
    "expected_calibration_error",
    "faq_metrics",
    "intent_metrics",
    "match_metrics",
    "per_label_metrics",
    "reliability_bins",
]


def _rate(num: float, den: float) -> float | None:
    return float(num) / float(den) if den > 0 else None


def confusion(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> tuple[list[str], np.ndarray]:
    """Confusion matrix as ``(labels, M)`` with ``M[i, j]`` = gold ``labels[i]`` predicted ``labels[j]``.

    The labels are returned with the matrix so that a report never has to guess the order;
    by default they are the sorted union of gold and predicted labels.
    """
    _check_same_length(y_true, y_pred)
    labs = sorted(set(y_true) | set(y_pred)) if labels is None else list(labels)
    index = {lab: i for i, lab in enumerate(labs)}
    m = np.zeros((len(labs), len(labs)), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        if t in index and p in index:
            m[index[t], index[p]] += 1
    return labs, m


def per_label_metrics(
    y_true: Sequence[str], y_pred: Sequence[str]
) -> dict[str, dict[str, float | int]]:
    """Precision, recall, F1 and support for every label in gold ∪ predicted.

    Undefined precision/recall (no predictions / no gold for a label) count as 0.0, the
    scikit-learn ``zero_division=0`` convention, so that macro-F1 is the plain mean of these.
    """
    labs, m = confusion(y_true, y_pred)
    tp = np.diag(m).astype(np.float64)
    pred = m.sum(axis=0).astype(np.float64)
    gold = m.sum(axis=1).astype(np.float64)
    out: dict[str, dict[str, float | int]] = {}
    for i, lab in enumerate(labs):
        p = tp[i] / pred[i] if pred[i] > 0 else 0.0
        r = tp[i] / gold[i] if gold[i] > 0 else 0.0
        f = 2 * p * r / (p + r) if p + r > 0 else 0.0
        out[lab] = {
            "precision": float(p),
            "recall": float(r),
            "f1": float(f),
            "support": int(gold[i]),
        }
    return out


def intent_metrics(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    confidences: Sequence[float] | np.ndarray | None = None,
    *,
    oos_label: str = "oos",
) -> dict[str, Any]:
    """The PRODUCT.md intent keys plus ``per_label``.

    ``confidences`` are the top-1 confidences that go with ``y_pred``; ``ece`` is computed
    from them against ``y_true == y_pred`` and is ``None`` without them.
    """
    _check_same_length(y_true, y_pred)
    yt = np.asarray(list(y_true), dtype=object)
    yp = np.asarray(list(y_pred), dtype=object)
    n = len(yt)
    correct = yt == yp
    per_label = per_label_metrics(list(yt), list(yp))

    gold_oos = yt == oos_label
    pred_oos = yp == oos_label
    n_gold_oos = int(gold_oos.sum())
    n_pred_oos = int(pred_oos.sum())
    tp_oos = int((gold_oos & pred_oos).sum())
    in_scope = ~gold_oos

    if n_pred_oos > 0:
        oos_precision: float | None = tp_oos / n_pred_oos
    elif n_gold_oos > 0:
        oos_precision = 0.0
    else:
        oos_precision = None

    ece: float | None = None
    if confidences is not None:
        conf = np.asarray(confidences, dtype=np.float64)
        if conf.shape != (n,):
            raise ValueError(f"confidences has shape {conf.shape}, expected ({n},)")
        ece = expected_calibration_error(conf, correct)

    return {
        "accuracy": _rate(correct.sum(), n),
        "macro_f1": float(np.mean([v["f1"] for v in per_label.values()])) if per_label else None,
        "in_scope_accuracy": _rate((correct & in_scope).sum(), in_scope.sum()),
        "oos_recall": _rate(tp_oos, n_gold_oos),
        "oos_precision": oos_precision,
        "ece": ece,
        "n": n,
        "per_label": per_label,
    }


def _bin_index(conf: np.ndarray, n_bins: int) -> np.ndarray:
    # Bins are (k/n, (k+1)/n]; a confidence of exactly 0 goes to the first bin.
    idx = np.ceil(conf * n_bins).astype(np.int64) - 1
    return np.clip(idx, 0, n_bins - 1)


def reliability_bins(
    conf: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    n_bins: int = 15,
) -> list[dict[str, float | int | None]]:
    """Per-bin ``lower``, ``upper``, ``count``, mean ``confidence`` and ``accuracy``.

    The data for a reliability diagram; empty bins are kept (with ``None`` means) so that a
    plot has a fixed x-axis.
    """
    c = np.asarray(conf, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    if c.shape != ok.shape:
        raise ValueError(f"conf has shape {c.shape} but correct has shape {ok.shape}")
    if n_bins < 1:
        raise ValueError("n_bins must be at least 1")
    if c.size and (c.min() < 0.0 or c.max() > 1.0):
        raise ValueError("confidences must lie in [0, 1]")
    idx = _bin_index(c, n_bins)
    bins: list[dict[str, float | int | None]] = []
    for b in range(n_bins):
        mask = idx == b
        count = int(mask.sum())
        bins.append(
            {
                "lower": b / n_bins,
                "upper": (b + 1) / n_bins,
                "count": count,
                "confidence": float(c[mask].mean()) if count else None,
                "accuracy": float(ok[mask].mean()) if count else None,
            }
        )
    return bins


def expected_calibration_error(
    conf: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    n_bins: int = 15,
) -> float | None:
    """ECE = Σ_b |B_b|/n · |accuracy(B_b) − mean confidence(B_b)| over equal-width bins.

    ``None`` for no examples (an empty test set has no calibration to speak of).
    """
    bins = reliability_bins(conf, correct, n_bins)
    n = sum(int(b["count"] or 0) for b in bins)
    if n == 0:
        return None
    total = 0.0
    for b in bins:
        count = int(b["count"] or 0)
        if count:
            total += count / n * abs(float(b["accuracy"] or 0.0) - float(b["confidence"] or 0.0))
    return float(total)


def best_threshold(
    y_true: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray
) -> float:
    """The score threshold (predict 1 when ``score >= t``) that maximises accuracy.

    Meant for dev data. Candidates are midpoints between neighbouring distinct scores (plus
    one below the lowest and one above the highest), so the chosen threshold does not sit
    exactly on a dev example's score; ties go to the lowest such threshold, deterministically.
    """
    y = np.asarray(y_true, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape or y.ndim != 1:
        raise ValueError("y_true and scores must be 1-d and of the same length")
    if y.size == 0:
        raise ValueError("cannot choose a threshold on no examples")
    order = np.argsort(s, kind="stable")
    s_sorted = s[order]
    y_sorted = y[order]
    uniq, first = np.unique(s_sorted, return_index=True)
    # Threshold placed just below uniq[k]: examples before first[k] are predicted 0.
    neg_below = np.cumsum(np.concatenate([[0], 1 - y_sorted]))  # negatives among the first i
    pos_total = int(y.sum())
    pos_below = np.cumsum(np.concatenate([[0], y_sorted]))
    cut = np.concatenate([first, [y.size]])  # also "everything predicted 0"
    correct = neg_below[cut] + (pos_total - pos_below[cut])
    k = int(np.argmax(correct))
    if k == 0:
        return float(uniq[0] - 1e-6 if uniq.size == 1 else uniq[0] - (uniq[1] - uniq[0]) / 2)
    if k == uniq.size:
        return float(uniq[-1] + 1e-6 if uniq.size == 1 else uniq[-1] + (uniq[-1] - uniq[-2]) / 2)
    return float((uniq[k - 1] + uniq[k]) / 2)


def match_metrics(
    y_true: Sequence[int] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    threshold: float,
) -> dict[str, Any]:
    """PRODUCT.md match keys: a pair is predicted "same meaning" when ``score >= threshold``.

    ``auc`` and ``spearman`` describe the ranking quality of the raw score and do not depend
    on the threshold; both are ``None`` when the gold labels are all one class.
    """
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y_true, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape or y.ndim != 1:
        raise ValueError("y_true and scores must be 1-d and of the same length")
    n = int(y.size)
    pred = (s >= threshold).astype(np.int64)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    two_classes = n > 0 and 0 < int(y.sum()) < n
    auc: float | None = float(roc_auc_score(y, s)) if two_classes else None
    spearman: float | None = None
    if two_classes and np.unique(s).size > 1:
        spearman = float(spearmanr(s, y).statistic)
    return {
        "accuracy": _rate(int((pred == y).sum()), n),
        "f1": (2 * tp / (2 * tp + fp + fn)) if (2 * tp + fp + fn) > 0 else 0.0,
        "auc": auc,
        "spearman": spearman,
        "n": n,
        "threshold": float(threshold),
    }


def faq_metrics(ranked_ids: Sequence[Sequence[str]], gold: Sequence[str]) -> dict[str, Any]:
    """PRODUCT.md FAQ keys from each query's ranked FAQ ids (best first) and its gold id.

    A gold id missing from a ranking contributes 0 to MRR (as if ranked at infinity).
    """
    _check_same_length(ranked_ids, gold)
    n = len(gold)
    p1 = rr = r5 = 0.0
    for ranking, g in zip(ranked_ids, gold, strict=True):
        ranking = list(ranking)
        if ranking and ranking[0] == g:
            p1 += 1
        if g in ranking:
            rank = ranking.index(g) + 1
            rr += 1.0 / rank
            if rank <= 5:
                r5 += 1
    return {
        "p_at_1": _rate(p1, n),
        "mrr": _rate(rr, n),
        "recall_at_5": _rate(r5, n),
        "n": n,
    }


def _check_same_length(a: Sequence[Any], b: Sequence[Any]) -> None:
    if len(a) != len(b):
        raise ValueError(f"length mismatch: {len(a)} gold vs {len(b)} predicted")
