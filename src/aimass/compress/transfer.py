"""The transfer set for distillation: the training messages rewritten by the augmenters.

A student learns from its teachers' soft targets, and those exist for any text, labelled or
not. Rewrites of the training messages (swapped, inserted or dropped words, synonyms, typos,
homophones, traditional characters; :mod:`aimass.augment`) show the student how the teachers
behave *around* each example, which the labels alone cannot tell it (TinyBERT's data
augmentation for distillation, Jiao et al. 2020). They need no label filter: the teachers
label them, softly, rewrite by rewrite, and a rewrite that changed the meaning simply gets
the teachers' changed answer.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["transfer_pairs", "transfer_texts"]

_NO_LABEL = "-"  # the augmenters work per example; the transfer set needs no intent


def transfer_texts(
    texts: Sequence[str],
    per_example: int = 1,
    *,
    seed: int = 0,
    augmenters: Sequence[str] | None = None,
) -> list[str]:
    """Up to ``per_example`` rewrites of each text (the default augmenters, seeded; each
    rewrite differs from every input text and from the other rewrites)."""
    return [r for r, _ in transfer_pairs(texts, per_example, seed=seed, augmenters=augmenters)]


def transfer_pairs(
    texts: Sequence[str],
    per_example: int = 1,
    *,
    seed: int = 0,
    augmenters: Sequence[str] | None = None,
) -> list[tuple[str, str]]:
    """``(rewrite, the text it rewrites)`` for the rewrites of :func:`transfer_texts`."""
    from aimass.augment import DEFAULT_AUGMENTERS, build_augmenters
    from aimass.augment.pipeline import augment_examples

    if per_example < 1 or not texts:
        return []
    result = augment_examples(
        [(t, _NO_LABEL) for t in texts],
        build_augmenters(list(augmenters or DEFAULT_AUGMENTERS)),
        per_example=per_example,
        seed=seed,
        oversample=2,
    )
    seen = set(texts)
    pairs: dict[str, str] = {}
    for c in result.selected:
        if c.text not in seen:
            pairs.setdefault(c.text, c.source)
    return list(pairs.items())
