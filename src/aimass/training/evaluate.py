"""Dev-set evaluation of each task during and after training.

Each task has a primary metric (the one model selection uses), like sentence-transformers'
evaluators: intent accuracy, profile micro-F1, matching P@1, pair accuracy at the best
threshold. The selection score of a checkpoint is the mean of its tasks' primary metrics.
"""

from __future__ import annotations

import numpy as np

from aimass.evaluation.metrics import best_threshold
from aimass.model import predict
from aimass.model.multitask import MultiTaskModel
from aimass.model.textenc import TextEncoder
from aimass.training.data import IntentData, MatchingData, PairData, ProfileData, TaskData

PRIMARY = {"intent": "accuracy", "profile": "micro_f1", "matching": "p_at_1", "pair": "accuracy"}


def evaluate(model: MultiTaskModel, enc: TextEncoder, dev: TaskData) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    if dev.intent and dev.intent.texts:
        out["intent"] = evaluate_intent(model, enc, dev.intent)
    if dev.profile and dev.profile.texts:
        out["profile"] = evaluate_profile(model, enc, dev.profile)
    if dev.matching and dev.matching.queries:
        out["matching"] = evaluate_matching(model, enc, dev.matching)
    if dev.pair and dev.pair.labels:
        out["pair"] = evaluate_pair(model, enc, dev.pair)
    return out


def selection_score(metrics: dict[str, dict[str, float]]) -> float:
    """Mean primary metric; ties (common on a small dev set, where accuracy moves in steps
    of one example) go to the checkpoint with the lower dev log-loss."""
    vals = [m[PRIMARY[t]] for t, m in metrics.items() if PRIMARY[t] in m]
    if not vals:
        return 0.0
    nll = [m["nll"] for m in metrics.values() if "nll" in m]
    return float(np.mean(vals)) - (1e-3 * float(np.mean(nll)) if nll else 0.0)


def evaluate_intent(model: MultiTaskModel, enc: TextEncoder, data: IntentData) -> dict[str, float]:
    labels: list[str] = model.heads["intent"].labels  # type: ignore[assignment]
    probs = predict.intent_probabilities(model, enc, data.texts)
    pred = [labels[i] for i in probs.argmax(1)]
    acc = float(np.mean([p == g for p, g in zip(pred, data.labels, strict=True)]))
    index = {name: i for i, name in enumerate(labels)}
    gold = np.array([index.get(g, -1) for g in data.labels])
    p_gold = probs[np.arange(len(gold)), np.clip(gold, 0, None)]
    nll = float(-np.mean(np.log(np.where(gold >= 0, p_gold, 1e-12) + 1e-12)))
    return {"accuracy": acc, "nll": nll, "n": float(len(pred))}


def evaluate_profile(
    model: MultiTaskModel, enc: TextEncoder, data: ProfileData
) -> dict[str, float]:
    labels: list[str] = model.heads["profile"].labels  # type: ignore[assignment]
    probs = predict.tag_probabilities(model, enc, data.texts)
    gold = np.array([[lab in tags for lab in labels] for tags in data.tags], dtype=bool)
    pred = probs >= 0.5
    tp = float((pred & gold).sum())
    fp = float((pred & ~gold).sum())
    fn = float((~pred & gold).sum())
    f1 = 2 * tp / max(2 * tp + fp + fn, 1.0)
    exact = float(np.mean((pred == gold).all(1)))
    return {"micro_f1": f1, "exact_match": exact, "n": float(len(gold))}


def rank_faqs(
    model: MultiTaskModel, enc: TextEncoder, bank: dict[str, list[str]], queries: list[str]
) -> tuple[list[list[str]], np.ndarray]:
    """FAQ ids ranked for each query (best variant per FAQ) and the score matrix (Q, F)."""
    ids = list(bank)
    flat = [(i, q) for i, faq_id in enumerate(ids) for q in bank[faq_id]]
    emb_bank = predict.embeddings(model, enc, [q for _, q in flat])  # (V, H)
    emb_q = predict.embeddings(model, enc, queries)  # (Q, H)
    sim = emb_q @ emb_bank.T  # (Q, V)
    owner = np.array([i for i, _ in flat])
    per_faq = np.full((len(queries), len(ids)), -np.inf, dtype=np.float32)  # (Q, F)
    for f in range(len(ids)):
        cols = owner == f
        if cols.any():
            per_faq[:, f] = sim[:, cols].max(1)
    order = np.argsort(-per_faq, axis=1)
    return [[ids[j] for j in row] for row in order], per_faq


def evaluate_matching(
    model: MultiTaskModel, enc: TextEncoder, data: MatchingData
) -> dict[str, float]:
    texts = [t for t, _ in data.queries]
    gold = [g for _, g in data.queries]
    ranked, _ = rank_faqs(model, enc, data.bank, texts)
    p1 = float(np.mean([r[0] == g for r, g in zip(ranked, gold, strict=True)]))
    rr = [1.0 / (r.index(g) + 1) if g in r else 0.0 for r, g in zip(ranked, gold, strict=True)]
    r5 = float(np.mean([g in r[:5] for r, g in zip(ranked, gold, strict=True)]))
    return {"p_at_1": p1, "mrr": float(np.mean(rr)), "recall_at_5": r5, "n": float(len(gold))}


def evaluate_pair(model: MultiTaskModel, enc: TextEncoder, data: PairData) -> dict[str, float]:
    logits = predict.pair_logits(model, enc, data.a, data.b)
    y = np.array(data.labels)
    thr = best_threshold(y, logits)
    acc = float(np.mean((logits >= thr) == y))
    return {"accuracy": acc, "threshold_logit": thr, "n": float(len(y))}
