"""The out-of-scope rule, shared by the runtime and the benchmarks (one rule, one threshold).

A message is out of scope when the model's top label is ``oos`` or when the best in-scope
probability is below the threshold fitted on dev (``calibration.json``). Without dev
out-of-scope examples to fit on, the project's configured floor applies.

Artifacts trained with the trust calibration also carry ``calibration["scope"]``: class
prototypes in the embedding space and one combined in-scope score (calibrated confidence +
cosine to the nearest prototype, see :class:`ScopeRule`) with its dev-fitted threshold. Then
:func:`decide` applies that rule on top of the one above; evaluation, benchmarks and the
runtime all call :func:`decide`, so the number measured is the number served. Artifacts
without it keep the plain rule.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
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


# ----------------------------------------------------------------------------- combined rule


def pack(arr: np.ndarray) -> dict[str, Any]:
    """A float matrix as compact JSON (float16, base64): calibration.json stays small and
    pickle-free, and the ONNX artifact (which copies calibration.json) carries it along."""
    a = np.ascontiguousarray(np.asarray(arr, dtype=np.float16))
    return {"shape": list(a.shape), "f16": base64.b64encode(a.tobytes()).decode("ascii")}


def unpack(data: dict[str, Any]) -> np.ndarray:
    raw = base64.b64decode(data["f16"])
    return np.frombuffer(raw, dtype=np.float16).reshape(data["shape"]).astype(np.float32)


def scope_features(
    probs: np.ndarray, vectors: np.ndarray | None, labels: list[str], prototypes: np.ndarray
) -> np.ndarray:
    """``(N, 2)``: the log-odds of the top in-scope probability, and the cosine of the
    message's embedding to the nearest in-scope class prototype. The first says how sure the
    classifier is among known intents; the second how far the message lies from anything it
    was trained on, which catches off-topic messages the classifier is confidently wrong on."""
    in_scope = [j for j, lab in enumerate(labels) if lab != OOS]
    p = np.clip(probs[:, in_scope].max(1) if in_scope else np.zeros(len(probs)), 1e-6, 1 - 1e-6)
    conf = np.log(p) - np.log1p(-p)
    if vectors is None or len(prototypes) == 0:
        near = np.zeros(len(probs))
    else:
        near = (np.asarray(vectors, dtype=np.float32) @ prototypes.T).max(1)
    return np.stack([conf, near], axis=1).astype(np.float64)


@dataclass
class ScopeRule:
    """One in-scope score ``w · (features - centre) / scale + bias`` and its threshold.

    Fitted on dev at training (``aimass.training.calibrate.fit_scope``): without dev
    out-of-scope examples the two standardised signals are averaged and the threshold keeps a
    target share of in-scope dev messages; with them the weights are a logistic regression of
    in-scope vs out-of-scope and the threshold is the one with the best dev accuracy.
    """

    prototypes: np.ndarray  # (K, H) L2-normalised class means of training embeddings
    centre: np.ndarray  # (2,)
    scale: np.ndarray  # (2,)
    weights: np.ndarray  # (2,)
    bias: float
    threshold: float

    @classmethod
    def from_calibration(cls, calibration: dict[str, Any]) -> ScopeRule | None:
        data = calibration.get("scope")
        if not isinstance(data, dict) or "prototypes" not in data:
            return None  # trained before the combined rule: the plain rule applies
        return cls(
            prototypes=unpack(data["prototypes"]),
            centre=np.asarray(data["centre"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            weights=np.asarray(data["weights"], dtype=np.float64),
            bias=float(data.get("bias", 0.0)),
            threshold=float(data["threshold"]),
        )

    @property
    def needs_vectors(self) -> bool:
        return bool(self.weights[1] != 0.0 and len(self.prototypes))

    def score(self, probs: np.ndarray, vectors: np.ndarray | None, labels: list[str]) -> np.ndarray:
        """The in-scope score of each message (higher = more in scope)."""
        f = scope_features(probs, vectors, labels, self.prototypes)
        return ((f - self.centre) / self.scale) @ self.weights + self.bias


def in_scope_scores(
    probs: np.ndarray,
    vectors: np.ndarray | None,
    labels: list[str],
    calibration: dict[str, Any],
) -> np.ndarray:
    """The score the served rule thresholds (higher = more in scope), for ranking metrics
    (AUROC, risk-coverage): the combined score when the artifact has one, else the top
    in-scope probability. A message whose top label is ``oos`` scores lowest."""
    rule = ScopeRule.from_calibration(calibration)
    in_scope = [j for j, lab in enumerate(labels) if lab != OOS]
    if rule is not None:
        s = rule.score(probs, vectors, labels)
    else:
        s = probs[:, in_scope].max(1) if in_scope else np.zeros(len(probs))
    s = np.asarray(s, dtype=np.float64)
    if OOS in labels and len(s):
        says_oos = probs.argmax(1) == labels.index(OOS)
        floor = min(float(s.min()), 0.0) - 1.0  # below every message the model keeps
        s = np.where(says_oos, floor - probs[:, labels.index(OOS)], s)
    return s


def decide(
    probs: np.ndarray,
    vectors: np.ndarray | None,
    labels: list[str],
    calibration: dict[str, Any],
    thresholds: Thresholds,
) -> list[tuple[str, float, bool]]:
    """(label, confidence, out_of_scope) per message: the plain rule, then the combined
    score when the artifact has one. ``vectors`` are ``predictor.embed(texts)`` (needed only
    when :func:`needs_vectors` says so)."""
    threshold = oos_threshold(calibration, thresholds)
    out = [classify(p, labels, threshold) for p in probs]
    rule = ScopeRule.from_calibration(calibration)
    if rule is None or not len(probs):
        return out
    if not calibration["scope"].get("from_dev", False) and thresholds.oos <= 0.0:
        return out  # no dev out-of-scope examples and the floor set to 0: a closed set
    scores = rule.score(probs, vectors if rule.needs_vectors else None, labels)
    for i, (_label, conf, oos) in enumerate(out):
        if not oos and scores[i] < rule.threshold:
            out[i] = (OOS, 1.0 - conf, True)
    return out


def needs_vectors(calibration: dict[str, Any]) -> bool:
    rule = ScopeRule.from_calibration(calibration)
    return rule is not None and rule.needs_vectors


def decide_texts(
    predictor: Any, texts: list[str], thresholds: Thresholds
) -> tuple[np.ndarray, np.ndarray | None, list[tuple[str, float, bool]]]:
    """Probabilities, embeddings (or None) and decisions for ``texts`` through a predictor:
    the one call evaluation, benchmarks and compression checks use, as the runtime does."""
    cal = predictor.files.calibration
    probs = predictor.intent_probabilities(texts)
    vectors = predictor.embed(texts) if needs_vectors(cal) and texts else None
    return probs, vectors, decide(probs, vectors, predictor.intent_labels, cal, thresholds)
