"""From examples to reviewed-ready augmented examples: generate, filter, pick, report.

For each example of the chosen intents every augmenter proposes a few rewrites; a
deterministic shuffle keeps ``per_example * oversample`` of them (so the model's work is
bounded), the label filter judges those, and up to ``per_example`` survivors are picked,
one augmenter at a time in a shuffled order so that a single augmenter does not crowd out the
rest. The same seed gives the same result, whatever else is in the data set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aimass.augment.base import Augmenter, rng_for
from aimass.augment.filter import REASONS, Candidate, IntentScorer, LabelFilter
from aimass.errors import TrainingError

__all__ = ["AugmentResult", "augment_examples"]


@dataclass
class AugmentResult:
    selected: list[Candidate]  # what is written out for review
    candidates: list[Candidate]  # everything the filter judged (selected ones included)
    intents: list[str]
    settings: dict[str, Any] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        """Counts a reviewer and a benchmark need: how much was rejected, why, by whom."""
        total = len(self.candidates)
        rejected = [c for c in self.candidates if not c.kept]
        reasons = Counter(c.reason for c in rejected)
        chosen = {id(c) for c in self.selected}
        by_aug: dict[str, dict[str, int]] = {}
        for c in self.candidates:
            row = by_aug.setdefault(c.augmenter, {"candidates": 0, "rejected": 0, "selected": 0})
            row["candidates"] += 1
            row["rejected"] += not c.kept
            row["selected"] += id(c) in chosen
        return {
            "candidates": total,
            "rejected": len(rejected),
            "rejected_share": round(len(rejected) / total, 4) if total else None,
            "by_reason": {r: reasons.get(r, 0) for r in REASONS},
            "selected": len(self.selected),
            "by_augmenter": dict(sorted(by_aug.items())),
            "intents": list(self.intents),
            **self.settings,
        }


def augment_examples(
    examples: Sequence[tuple[str, str]],
    augmenters: Sequence[Augmenter],
    *,
    intents: Collection[str] | None = None,
    per_example: int = 3,
    seed: int = 0,
    scorer: IntentScorer | None = None,
    threshold: float = 0.5,
    oversample: int = 3,
    existing: Iterable[str] | None = None,
) -> AugmentResult:
    """Augment ``(text, intent)`` examples of ``intents`` (default: all of them).

    ``existing`` (default: every text of ``examples``) are the texts candidates must not
    duplicate. Without ``scorer`` only duplicates and unchanged rewrites are rejected.
    """
    if per_example < 1 or oversample < 1:
        raise TrainingError(
            f"per-example ({per_example}) and oversample ({oversample}) must be at least 1",
            code="AM541",
        )
    chosen = set(intents) if intents is not None else {i for _, i in examples}
    work = [(t, i) for t, i in examples if i in chosen]
    if not work:
        raise TrainingError(
            "no example belongs to the intents chosen for augmentation",
            code="AM546",
            hint="check --intents, or add examples to those intents",
        )
    for aug in augmenters:  # augmenters that batch their work (a remote model) do it now
        prepare = getattr(aug, "prepare", None)
        if prepare is not None:
            prepare(work, examples, seed)
    pools: list[list[Candidate]] = []
    for index, (text, intent) in enumerate(work):
        pool = [
            Candidate(text=variant, intent=intent, source=text, augmenter=aug.name)
            for aug in augmenters
            for variant in aug(text, rng_for(seed, aug.name, text))
        ]
        rng_for(seed, "pool", text, index).shuffle(pool)
        pools.append(pool[: per_example * oversample])
    candidates = [c for pool in pools for c in pool]
    LabelFilter(scorer, threshold).apply(
        candidates, [t for t, _ in examples] if existing is None else existing
    )
    selected: list[Candidate] = []
    for index, pool in enumerate(pools):
        selected += _pick(pool, per_example, rng_for(seed, "pick", work[index][0], index))
    return AugmentResult(
        selected=selected,
        candidates=candidates,
        intents=list(dict.fromkeys(i for _, i in work)),
        settings={
            "per_example": per_example,
            "seed": seed,
            "threshold": threshold,
            "oversample": oversample,
            **_augmenter_stats(augmenters),
        },
    )


def _augmenter_stats(augmenters: Sequence[Augmenter]) -> dict[str, Any]:
    """What augmenters with a ``stats()`` (requests made, failures) report, by name."""
    stats = {a.name: a.stats() for a in augmenters if hasattr(a, "stats")}
    return {"augmenter_stats": stats} if stats else {}


def _pick(pool: list[Candidate], n: int, rng: Any) -> list[Candidate]:
    """Up to ``n`` kept candidates, taking one per augmenter in turn (shuffled order)."""
    by_aug: dict[str, list[Candidate]] = {}
    for c in pool:
        if c.kept:
            by_aug.setdefault(c.augmenter, []).append(c)
    order = sorted(by_aug)
    rng.shuffle(order)
    picked: list[Candidate] = []
    while len(picked) < n and any(by_aug.values()):
        for name in order:
            if by_aug[name] and len(picked) < n:
                picked.append(by_aug[name].pop(0))
    return picked
