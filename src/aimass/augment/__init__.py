"""Label-preserving data augmentation for intent examples (Chinese and English).

    AUGMENTERS / build_augmenters(names, context)   # registered augmenters, by name
    augment_examples(examples, augmenters, ...)     # candidates -> label filter -> kept + report
    LabelFilter(scorer, threshold)                  # keeps what the model still labels the same
    choose_intents(spec, ...)                       # "worst:10", "all", or names

Nothing heavy is imported here: jieba, pypinyin and opencc load inside the augmenters that use
them, torch only when a model is loaded.
"""

from __future__ import annotations

from aimass.augment.base import (
    AUGMENTERS,
    DEFAULT_AUGMENTERS,
    AugmentContext,
    Augmenter,
    build_augmenters,
    register,
    rng_for,
)

__all__ = [
    "AUGMENTERS",
    "DEFAULT_AUGMENTERS",
    "AugmentContext",
    "Augmenter",
    "build_augmenters",
    "register",
    "rng_for",
]


def _load_all() -> None:
    """Import the modules that register the built-in augmenters (cheap: no heavy imports)."""
    from aimass.augment import eda, generative, lexical, neighbours, typos, variants  # noqa: F401


_load_all()
