"""The out-of-scope rule, shared by the runtime and the benchmarks (one rule, one threshold).

A message is out of scope when the model's top label is ``oos`` or when the best in-scope
probability is below the threshold fitted on dev (``calibration.json``). Without dev
out-of-scope examples to fit on, the project's configured floor applies.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aimass.config.project import Thresholds

OOS = "oos"


def oos_threshold(calibration: dict[str, Any], thresholds: Thresholds) -> float:
    fitted = float(calibration.get("oos_threshold", 0.0))
    if calibration.get("oos_threshold_from_dev", False):
        return fitted
    return max(fitted, thresholds.oos)


def classify(probs: np.ndarray, labels: list[str], threshold: float) -> tuple[str, float, bool]:
    """(label, confidence, out_of_scope) for one row of intent probabilities.

    The confidence is the probability that the returned label is right: the top in-scope
    probability, or for ``oos`` the probability mass not on that top in-scope label.
    """
    in_scope = [j for j, lab in enumerate(labels) if lab != OOS]
    top = int(np.argmax(probs))
    if not in_scope:
        return labels[top], float(probs[top]), True
    best_in = max(in_scope, key=lambda j: probs[j])
    p_in = float(probs[best_in])
    if labels[top] == OOS or p_in < threshold:
        return OOS, 1.0 - p_in, True
    return labels[best_in], p_in, False
