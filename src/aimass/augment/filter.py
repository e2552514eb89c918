"""The label-preservation filter: keep a rewrite only if the model still reads it the same.

An augmenter can turn "how do I cancel my order" into "how do I change my order", which is
another intent; training on it as the original intent would teach the model a mistake. So
every candidate goes past the current model (a trained artifact's predictor, an
``Assistant``, any callable giving intent probabilities, or a teacher ensemble averaged) and
is kept only when the model's most likely intent is the original one with probability at
least ``threshold``. A candidate is also rejected when it is, after normalisation, the text it
came from (``unchanged``) or a duplicate of an existing example or of an earlier candidate
(``duplicate``). Every rejection keeps its reason, so the report can say what share was
rejected and why.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from aimass.errors import TrainingError

__all__ = [
    "REASONS",
    "CallableScorer",
    "Candidate",
    "EnsembleScorer",
    "IntentScorer",
    "LabelFilter",
    "as_scorer",
    "normalise",
]

UNCHANGED = "unchanged"
DUPLICATE = "duplicate"
CHANGED_LABEL = "changed_label"
LOW_CONFIDENCE = "low_confidence"
UNKNOWN_LABEL = "unknown_label"  # the model has no such intent, so it cannot vouch for it
REASONS = (UNCHANGED, DUPLICATE, CHANGED_LABEL, LOW_CONFIDENCE, UNKNOWN_LABEL)

_SPACES = re.compile(r"\s+")
_HAN_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+|\s+(?=[\u3400-\u9fff])")


def normalise(text: str) -> str:
    """The form two texts share when they are the same example for training purposes.

    Case, runs of spaces, spaces next to Chinese characters and punctuation at either end do
    not make a new example. Width and
    traditional/simplified forms are kept apart on purpose: those variants are what the
    ``width`` and ``traditional`` augmenters exist to add.
    """
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text).casefold()).strip()
    text = _HAN_SPACE.sub("", text)
    start, end = 0, len(text)
    while start < end and (unicodedata.category(text[start])[0] in "PZ"):
        start += 1
    while end > start and (unicodedata.category(text[end - 1])[0] in "PZ"):
        end -= 1
    return text[start:end]


class IntentScorer(Protocol):
    intent_labels: list[str]

    def intent_probabilities(self, texts: list[str]) -> np.ndarray: ...  # (N, C)


class CallableScorer:
    """Any ``texts -> (N, C) probabilities`` function with its label list, as a scorer."""

    def __init__(self, fn: Callable[[list[str]], Any], labels: Sequence[str]) -> None:
        self.fn = fn
        self.intent_labels = list(labels)

    def intent_probabilities(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.fn(texts), dtype=np.float64)


class EnsembleScorer:
    """Several teachers as one: their probabilities averaged, label by label.

    A candidate then survives only when the teachers agree on average, which is stricter
    than any one model's quirks. Every teacher must know the same intents (AM544).
    """

    def __init__(self, scorers: Sequence[IntentScorer]) -> None:
        if not scorers:
            raise TrainingError("an ensemble needs at least one model", code="AM544")
        self.scorers = list(scorers)
        self.intent_labels = list(scorers[0].intent_labels)
        for other in scorers[1:]:
            if set(other.intent_labels) != set(self.intent_labels):
                raise TrainingError(
                    "the models of an ensemble were trained on different intents",
                    code="AM544",
                    hint="use models trained on the same project",
                )

    def intent_probabilities(self, texts: list[str]) -> np.ndarray:
        total = np.zeros((len(texts), len(self.intent_labels)))
        for scorer in self.scorers:
            order = [list(scorer.intent_labels).index(n) for n in self.intent_labels]
            total += np.asarray(scorer.intent_probabilities(texts))[:, order]
        return total / len(self.scorers)


def as_scorer(model: Any, labels: Sequence[str] | None = None) -> IntentScorer:
    """A scorer from a predictor, an ``Assistant`` (its predictor), a callable + labels, or a
    list of those (a teacher ensemble)."""
    if isinstance(model, list | tuple):
        return EnsembleScorer([as_scorer(m, labels) for m in model])
    inner = getattr(model, "predictor", None)
    if inner is not None and hasattr(inner, "intent_probabilities"):
        model = inner
    if hasattr(model, "intent_probabilities") and hasattr(model, "intent_labels"):
        has = getattr(model, "has", None)
        if callable(has) and not has("intent"):
            raise TrainingError(
                "the model has no intent head, so it cannot check augmented examples",
                code="AM544",
                hint="train the project's intents first (`aimass train PROJECT`)",
            )
        return model  # type: ignore[no-any-return]
    if callable(model) and labels is not None:
        return CallableScorer(model, labels)
    raise TrainingError(
        "the label filter needs a predictor or a callable with its intent labels",
        code="AM544",
    )


@dataclass
class Candidate:
    """One rewrite of one example, and what the filter made of it (``reason`` None = kept)."""

    text: str
    intent: str
    source: str
    augmenter: str
    confidence: float | None = None  # the model's probability of the original intent
    predicted: str | None = None  # the model's most likely intent
    reason: str | None = None

    @property
    def kept(self) -> bool:
        return self.reason is None


class LabelFilter:
    def __init__(
        self, scorer: IntentScorer | None, threshold: float = 0.5, batch_size: int = 64
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise TrainingError(
                f"the confidence threshold must lie in [0, 1], got {threshold}",
                code="AM541",
                hint="e.g. --threshold 0.5",
            )
        self.scorer = scorer
        self.threshold = threshold
        self.batch_size = batch_size

    def apply(self, candidates: Sequence[Candidate], existing: Iterable[str] = ()) -> None:
        """Set ``reason`` (and the model's view) on every candidate, in place.

        ``existing`` are the texts already in the training data (every intent's), against
        which candidates are deduplicated along with each other.
        """
        seen = {normalise(t) for t in existing}
        to_score: list[Candidate] = []
        for c in candidates:
            key = normalise(c.text)
            if not key or key == normalise(c.source):
                c.reason = UNCHANGED
            elif key in seen:
                c.reason = DUPLICATE
            else:
                seen.add(key)
                to_score.append(c)
        if self.scorer is None:
            return
        labels = list(self.scorer.intent_labels)
        index = {name: i for i, name in enumerate(labels)}
        known = [c for c in to_score if c.intent in index]
        for c in to_score:
            if c.intent not in index:
                c.reason = UNKNOWN_LABEL
        for start in range(0, len(known), self.batch_size):
            batch = known[start : start + self.batch_size]
            probs = self.scorer.intent_probabilities([c.text for c in batch])  # (B, C)
            for c, p in zip(batch, probs, strict=True):
                c.confidence = float(p[index[c.intent]])
                c.predicted = labels[int(np.argmax(p))]
                if c.predicted != c.intent:
                    c.reason = CHANGED_LABEL
                elif c.confidence < self.threshold:
                    c.reason = LOW_CONFIDENCE
