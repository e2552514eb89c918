"""Multinomial logistic regression over a fixed label set, ``C`` chosen on dev.

Shared by the linear-probe initialisation of the intent head and the intent experts.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def fit_logreg(
    x: Any, y: np.ndarray, x_dev: Any, y_dev: np.ndarray, n_labels: int, cs: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray, float]:
    """Multinomial logistic regression, ``C`` chosen by dev log-loss; returns (coef, intercept, C)
    over all ``n_labels`` (labels with no training example get a prohibitive intercept)."""
    from sklearn.linear_model import LogisticRegression

    best: tuple[float, np.ndarray, np.ndarray, float] | None = None
    for c in cs:
        lr = LogisticRegression(C=c, max_iter=500, tol=1e-4).fit(x, y)
        coef = np.zeros((n_labels, x.shape[1]))
        intercept = np.full(n_labels, -30.0)
        if len(lr.classes_) > 2:
            coef[lr.classes_] = lr.coef_
            intercept[lr.classes_] = lr.intercept_
        else:  # sklearn keeps one row for two classes: the first class gets logit 0
            coef[lr.classes_[1]] = lr.coef_[0]
            intercept[lr.classes_] = [0.0, lr.intercept_[0]]
        if len(y_dev) == 0:
            return coef, intercept, c
        logp = log_softmax(np.asarray(x_dev @ coef.T) + intercept)
        nll = float(-np.mean(logp[np.arange(len(y_dev)), y_dev]))
        if best is None or nll < best[0]:
            best = (nll, coef, intercept, c)
    assert best is not None
    return best[1], best[2], best[3]
