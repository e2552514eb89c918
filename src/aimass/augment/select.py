"""Which intents to augment: by default the ones the model gets most wrong.

Augmenting every intent spends review time and training time where the model is already
right. ``score_intents`` measures per-intent F1 and confusion (errors an intent takes part in,
as the gold label or as the wrong prediction) on a dev set; without one,
``cross_validated_scores`` estimates them on the training examples with k-fold logistic
regression on the model's own sentence embeddings (the trained model itself has seen those
examples and would look perfect on them). ``choose_intents`` reads a spec: ``all``,
``worst:K`` (lowest F1 first, more confusion breaking ties) or a comma-separated list of names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from aimass.data.names import OOS
from aimass.errors import TrainingError
from aimass.evaluation.metrics import confusion, per_label_metrics

__all__ = ["IntentScore", "choose_intents", "cross_validated_scores", "score_intents"]


@dataclass(frozen=True)
class IntentScore:
    name: str
    f1: float
    support: int
    confused: int  # errors with this intent as the gold label or as the wrong prediction

    def to_dict(self) -> dict[str, Any]:
        return {"f1": round(self.f1, 4), "support": self.support, "confused": self.confused}


def _scores(gold: Sequence[str], pred: Sequence[str]) -> dict[str, IntentScore]:
    per = per_label_metrics(gold, pred)
    labels, m = confusion(gold, pred)
    off = m - np.diag(np.diag(m))
    confused = {lab: int(off[i].sum() + off[:, i].sum()) for i, lab in enumerate(labels)}
    return {
        lab: IntentScore(lab, float(v["f1"]), int(v["support"]), confused.get(lab, 0))
        for lab, v in per.items()
        if int(v["support"]) > 0
    }


def score_intents(
    scorer: Any, texts: Sequence[str], labels: Sequence[str]
) -> dict[str, IntentScore]:
    """Per-intent F1 and confusion of the model's top-1 prediction on labelled ``texts``."""
    names = list(scorer.intent_labels)
    probs = scorer.intent_probabilities(list(texts))
    pred = [names[int(i)] for i in np.argmax(probs, axis=1)]
    return _scores(list(labels), pred)


def cross_validated_scores(
    embed: Any, texts: Sequence[str], labels: Sequence[str], *, folds: int = 5, seed: int = 0
) -> dict[str, IntentScore]:
    """Per-intent scores from k-fold logistic regression on ``embed(texts)`` embeddings.

    An intent with fewer examples than two folds need cannot be held out; it scores F1 0 (it
    has the least data, so it is the first to augment).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y = np.asarray(list(labels), dtype=object)
    names, counts = np.unique(y, return_counts=True)
    usable = set(names[counts >= 2])
    mask = np.array([lab in usable for lab in y])
    out: dict[str, IntentScore] = {
        lab: IntentScore(str(lab), 0.0, int(c), 0)
        for lab, c in zip(names, counts, strict=True)
        if lab not in usable
    }
    if len(usable) < 2:
        return out | {
            lab: IntentScore(str(lab), 0.0, int(c), 0)
            for lab, c in zip(names, counts, strict=True)
            if lab in usable
        }
    x = np.asarray(embed([t for t, keep in zip(texts, mask, strict=True) if keep]))
    yk = y[mask]
    k = int(min(folds, counts[np.isin(names, list(usable))].min()))
    cv = StratifiedKFold(n_splits=max(2, k), shuffle=True, random_state=seed)
    pred = cross_val_predict(LogisticRegression(C=10.0, max_iter=1000), x, yk, cv=cv)
    return out | _scores(list(yk), list(pred))


def choose_intents(
    spec: str, intents: Sequence[str], scores: dict[str, IntentScore] | None = None
) -> list[str]:
    """The intents ``spec`` names, in a stable order; ``oos`` only when named explicitly."""
    spec = spec.strip()
    candidates = [i for i in intents if i != OOS]
    if spec == "all":
        return candidates
    if spec.startswith("worst"):
        _, _, count = spec.partition(":")
        try:
            k = int(count) if count else 10
        except ValueError:
            k = -1
        if k < 1:
            raise TrainingError(
                f"--intents {spec!r}: expected worst:K with K a positive number",
                code="AM541",
                hint="e.g. --intents worst:10, --intents all, --intents return_item,payment",
            )
        if scores is None:
            raise TrainingError("choosing the worst intents needs per-intent scores", code="AM541")
        ranked = sorted(
            candidates,
            key=lambda n: (
                scores[n].f1 if n in scores else 1.0,
                -(scores[n].confused if n in scores else 0),
                n,
            ),
        )
        return ranked[:k]
    named = [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in named if n not in intents]
    if unknown or not named:
        raise TrainingError(
            f"--intents names unknown intent(s): {', '.join(unknown) or spec!r}",
            code="AM543",
            hint="use the project's intent names, `all`, or `worst:K`",
        )
    return list(dict.fromkeys(named))
