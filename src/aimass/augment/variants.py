"""Character-form variants: full/half width and traditional/simplified Chinese.

Customers type the same words in different forms: full-width Latin letters and digits from a
Chinese input method (ｉＰｈｏｎｅ１５), half-width punctuation in Chinese text, traditional
characters from Hong Kong, Macau and Taiwan. ``width`` toggles one of these forms; ``traditional``
converts simplified text to traditional (OpenCC ``s2t``) and traditional to simplified
(``t2s``). Both return nothing for a text they would leave as it is.

The default backbone's tokenizer NFKC-normalises its input, which undoes width differences, so
``width`` is not among the default augmenters; it is there for models or experts that see the
raw characters.
"""

from __future__ import annotations

import functools
import random
from typing import Any

from aimass.augment.base import AugmentContext, register
from aimass.augment.sampling import SamplingAugmenter

__all__ = ["TraditionalVariant", "WidthVariant", "to_full_width", "to_half_width"]

_ZH_PUNCT = {"，": ",", "。": ".", "？": "?", "！": "!", "：": ":", "；": ";", "（": "(", "）": ")"}


def to_full_width(text: str) -> str:
    """ASCII letters, digits and punctuation as their full-width forms (space stays)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def to_half_width(text: str) -> str:
    """Full-width ASCII forms and Chinese punctuation as plain ASCII."""
    out = []
    for c in text:
        if "！" <= c <= "～":
            out.append(chr(ord(c) - 0xFEE0))
        else:
            out.append(_ZH_PUNCT.get(c, c))
    return "".join(out)


class WidthVariant(SamplingAugmenter):
    name = "width"
    k = 1

    def one(self, text: str, language: str, rng: random.Random) -> str | None:
        half = to_half_width(text)
        if half != text:
            return half
        if language == "zh":
            # Latin letters and digits inside Chinese text, as a Chinese input method types them.
            return "".join(to_full_width(c) if c.isascii() and c.isalnum() else c for c in text)
        return to_full_width(text)


@functools.cache
def _opencc(config: str) -> Any:
    from opencc import OpenCC

    return OpenCC(config)


class TraditionalVariant(SamplingAugmenter):
    name = "traditional"
    languages = frozenset({"zh"})
    k = 1

    def one(self, text: str, language: str, rng: random.Random) -> str | None:
        simplified = _opencc("t2s").convert(text)
        if simplified != text:
            return simplified
        return _opencc("s2t").convert(text)


@register("width")
def _width(context: AugmentContext) -> WidthVariant:
    return WidthVariant()


@register("traditional")
def _traditional(context: AugmentContext) -> TraditionalVariant:
    return TraditionalVariant()
