"""Calibration fitted on dev, stored in the artifact, used unchanged in production.

- Temperature scaling of the intent and profile logits (Guo et al. 2017): one scalar per
  head that minimises dev negative log-likelihood; it changes confidences, never the argmax.
- The out-of-scope threshold on the top in-scope probability, chosen on dev.
- FAQ confidence: a logistic map from the best match's cosine (and its margin over the
  runner-up) to the probability that the top FAQ is right. Raw cosines of E5 sit in a narrow
  band (MODELS.md) and mean nothing as thresholds until mapped like this.
"""

from __future__ import annotations

import numpy as np

from aimass.model.logreg import log_softmax

OOS = "oos"


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
    probs: np.ndarray, labels: list[str], gold: list[str], default: float
) -> float:
    """Threshold on the top in-scope probability below which a message is out of scope.

    With out-of-scope examples in dev: the threshold that maximises dev accuracy over all
    examples (in-scope and out-of-scope together), which trades the two errors evenly. With
    none: the project's default, since dev cannot tell how off-topic messages score.
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
    best_t, best_acc = 0.0, -1.0
    for t in np.unique(np.concatenate([[0.0], np.round(top, 4)])):
        pred = np.where(model_says_oos | (top < t), OOS, arg)
        acc = float(np.mean(pred == g))
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
