"""Trust metrics for the evaluation report: calibration before/after, out-of-scope
detection, selective prediction and the faithfulness of explanations.

- Calibration: the served probabilities are temperature-scaled; ``uncalibrated`` undoes the
  stored temperature exactly (``softmax(T · log p)``), so the report shows ECE and the
  reliability diagram of the same model before and after.
- Out of scope: AUROC of the served in-scope score (``aimass.runtime.scope.in_scope_scores``,
  the score the served rule thresholds) for telling out-of-scope from in-scope messages, and
  the false-positive rate (out-of-scope messages kept) at 95% in-scope recall.
- Risk–coverage (Geifman & El-Yaniv 2017): answer only the messages the model is most sure
  of; the risk is the error rate among those answered. AURC is the mean risk over all
  coverages (lower is better).
- Faithfulness (deletion / AOPC, Samek et al. 2017): delete the top-k attributed words and
  measure the drop in the predicted class's probability, against deleting k random words.

numpy and scikit-learn only: no torch, so it runs on an ONNX-served model too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from aimass.evaluation.metrics import expected_calibration_error, reliability_bins

__all__ = [
    "calibration_before_after",
    "deletion_scores",
    "fpr_at_recall",
    "intent_trust",
    "oos_auroc",
    "risk_coverage",
    "uncalibrated",
]


def uncalibrated(probs: np.ndarray, temperature: float) -> np.ndarray:
    """The probabilities before temperature scaling: ``softmax(T · log p)`` inverts
    ``p = softmax(z / T)`` exactly (the log-partition term cancels in the softmax)."""
    z = temperature * np.log(np.clip(np.asarray(probs, dtype=np.float64), 1e-300, 1.0))
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def calibration_before_after(
    probs: np.ndarray, temperature: float, gold_index: np.ndarray, n_bins: int = 15
) -> dict[str, Any]:
    """ECE and reliability bins of the top-1 prediction, before and after temperature
    scaling. ``gold_index`` is the gold class column, or -1 where the gold label is not a
    class of the head (counted as wrong, since the head cannot be right there)."""
    out: dict[str, Any] = {"temperature": float(temperature)}
    for name, p in (("before", uncalibrated(probs, temperature)), ("after", probs)):
        conf = p.max(1)
        correct = p.argmax(1) == gold_index
        out[name] = {
            "ece": expected_calibration_error(conf, correct, n_bins),
            "bins": reliability_bins(conf, correct, n_bins),
        }
    return out


def oos_auroc(in_scope_score: np.ndarray, is_oos: np.ndarray) -> float | None:
    """Probability that a random out-of-scope message scores lower than a random in-scope
    one (1.0 perfect, 0.5 chance); ``None`` without both kinds."""
    is_oos = np.asarray(is_oos, dtype=bool)
    if is_oos.all() or not is_oos.any():
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(is_oos.astype(int), -np.asarray(in_scope_score, dtype=float)))


def fpr_at_recall(
    in_scope_score: np.ndarray, is_oos: np.ndarray, recall: float = 0.95
) -> float | None:
    """Share of out-of-scope messages still kept when the threshold keeps ``recall`` of the
    in-scope ones (lower is better); ``None`` without both kinds."""
    s = np.asarray(in_scope_score, dtype=float)
    is_oos = np.asarray(is_oos, dtype=bool)
    if is_oos.all() or not is_oos.any():
        return None
    inside = np.sort(s[~is_oos])[::-1]
    k = max(1, int(np.ceil(recall * len(inside))))
    threshold = inside[k - 1]  # the k best in-scope messages are kept
    return float(np.mean(s[is_oos] >= threshold))


def risk_coverage(confidence: np.ndarray, correct: np.ndarray) -> dict[str, Any]:
    """The risk–coverage curve (answer the most confident first) and its area (AURC).

    Returns ``coverage`` and ``risk`` lists (at most 200 points, for plotting), ``aurc`` and
    the risk at full coverage."""
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    n = len(conf)
    if n == 0:
        return {"coverage": [], "risk": [], "aurc": None, "risk_at_full": None}
    order = np.argsort(-conf, kind="stable")
    errors = np.cumsum(~ok[order])
    k = np.arange(1, n + 1)
    risk = errors / k
    step = max(1, n // 200)
    pick = np.unique(np.concatenate([np.arange(0, n, step), [n - 1]]))
    return {
        "coverage": [float(x) for x in (k[pick] / n)],
        "risk": [float(x) for x in risk[pick]],
        "aurc": float(risk.mean()),
        "risk_at_full": float(risk[-1]),
    }


def deletion_scores(
    texts: Sequence[str],
    explain: Callable[[str], list[tuple[int, int, float]]],
    score: Callable[[list[str]], np.ndarray],
    *,
    k: int = 1,
    seeds: Sequence[int] = (0, 1, 2),
) -> dict[str, Any]:
    """Deletion faithfulness: the mean drop of the predicted class's probability when the
    ``k`` top-attributed word spans are deleted, against ``k`` random spans (averaged over
    ``seeds``). ``explain(text)`` gives ``(start, end, attribution)`` per word span of the
    text; ``score(texts)`` gives class probabilities ``(N, C)``.

    ``aopc`` averages the top-k drop over k = 1..``k`` (area over the perturbation curve).
    Texts with fewer than two spans are skipped: deleting their only word tests nothing.
    """
    from aimass.explain.occlusion import delete_spans

    rng_drops: list[float] = []
    top_drops: list[float] = []
    aopc: list[float] = []
    used = 0
    for text in texts:
        spans = explain(text)
        if len(spans) < 2:
            continue
        base = score([text])[0]
        c = int(np.argmax(base))
        ranked = sorted(range(len(spans)), key=lambda i: -spans[i][2])
        kk = min(k, len(spans) - 1)
        variants = [
            delete_spans(text, [spans[i][:2] for i in ranked[:j]]) for j in range(1, kk + 1)
        ]
        for seed in seeds:
            pick = np.random.default_rng(seed * 7919 + used).permutation(len(spans))[:kk]
            variants.append(delete_spans(text, [spans[i][:2] for i in pick]))
        p = score(variants)[:, c]
        drops = base[c] - p
        top_drops.append(float(drops[kk - 1]))
        aopc.append(float(np.mean(drops[:kk])))
        rng_drops.append(float(np.mean(drops[kk:])))
        used += 1
    if not used:
        return {"n": 0, "k": k, "top_drop": None, "random_drop": None, "aopc": None, "margin": None}
    top, rnd = float(np.mean(top_drops)), float(np.mean(rng_drops))
    return {
        "n": used,
        "k": k,
        "top_drop": top,
        "random_drop": rnd,
        "aopc": float(np.mean(aopc)),
        "margin": top - rnd,
    }


def intent_trust(
    predictor: Any,
    texts: list[str],
    gold: list[str],
    probs: np.ndarray,
    vectors: np.ndarray | None,
    decided: list[tuple[str, float, bool]],
    *,
    faithfulness_sample: int = 60,
    seed: int = 0,
) -> dict[str, Any]:
    """Every trust number of ``aimass eval`` for the intent head, from the served
    probabilities and decisions (``aimass.runtime.scope.decide_texts``)."""
    from aimass.runtime.scope import OOS, in_scope_scores

    labels = predictor.intent_labels
    cal = predictor.files.calibration
    index = {n: i for i, n in enumerate(labels)}
    g = np.array(gold)
    pred = np.array([d[0] for d in decided])
    conf = np.array([d[1] for d in decided], dtype=float)
    out: dict[str, Any] = {}
    # Calibration of the head's own top-1 on the messages it could get right (in-scope).
    known = np.array([lab in index and lab != OOS for lab in gold])
    if known.any():
        out["calibration"] = {
            "intent": calibration_before_after(
                probs[known],
                float(cal.get("intent_temperature", 1.0)),
                np.array([index[lab] for lab in g[known]]),
            )
        }
    is_oos = g == OOS
    if is_oos.any() and (~is_oos).any():
        served = in_scope_scores(probs, vectors, labels, cal)
        msp_only = in_scope_scores(probs, None, labels, {})
        out["oos"] = {
            "n_oos": int(is_oos.sum()),
            "auroc": oos_auroc(served, is_oos),
            "fpr_at_95_recall": fpr_at_recall(served, is_oos, 0.95),
            "auroc_confidence_only": oos_auroc(msp_only, is_oos),
            "fpr_at_95_recall_confidence_only": fpr_at_recall(msp_only, is_oos, 0.95),
            "score": "combined" if "scope" in cal else "confidence",
        }
    # Selective answering: the served confidence of the served label, right or wrong.
    out["risk_coverage"] = risk_coverage(conf, pred == g)
    rng = np.random.default_rng(seed)
    pool = [t for t, lab, p in zip(texts, gold, pred, strict=True) if lab != OOS and lab == p]
    sample = [pool[i] for i in sorted(rng.permutation(len(pool))[:faithfulness_sample])]
    if sample:
        import time

        from aimass.explain.explainer import attributions

        seconds: list[float] = []

        def spans(text: str) -> list[tuple[int, int, float]]:
            started = time.perf_counter()
            sp, scores, _, _ = attributions(predictor, text, "occlusion")
            seconds.append(time.perf_counter() - started)
            return [(s, e, float(v)) for (s, e), v in zip(sp, scores, strict=True)]

        out["faithfulness"] = {
            "method": "occlusion",
            **deletion_scores(sample, spans, predictor.intent_probabilities, k=3),
            # Explanation latency on the model as served (ONNX or torch), one message at a time.
            "latency_ms_p50": round(float(np.percentile(seconds, 50)) * 1000, 2),
            "latency_ms_p95": round(float(np.percentile(seconds, 95)) * 1000, 2),
        }
    return out
