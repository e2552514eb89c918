"""A base for augmenters that make one random edit at a time.

``__call__`` asks ``one`` for up to ``k`` distinct edits (a few more draws than that, since two
draws may land on the same edit) and drops any that equal the input, so an augmenter that has
nothing to change returns ``[]``.
"""

from __future__ import annotations

import random

from aimass.data.language import language_of

__all__ = ["SamplingAugmenter"]


class SamplingAugmenter:
    name = "base"
    languages: frozenset[str] = frozenset({"zh", "en"})
    k = 2  # variants per call; the pipeline picks among the survivors of every augmenter

    def __call__(self, text: str, rng: random.Random) -> list[str]:
        language = language_of(text)
        if language not in self.languages or not text.strip():
            return []
        out: list[str] = []
        for _ in range(self.k * 3):
            variant = self.one(text, language, rng)
            if variant is not None and variant.strip() and variant != text and variant not in out:
                out.append(variant)
                if len(out) == self.k:
                    break
        return out

    def one(self, text: str, language: str, rng: random.Random) -> str | None:
        raise NotImplementedError
