"""Which language a text is in: Chinese or English, by the share of Han characters.

The trainer and the runtime only need to pick between ``zh`` and ``en`` (replies, FAQ answers
by language, tokenisation). A Han character and a Latin word count as one unit each, so a
Chinese message with a product name (``我想买iPhone 15 Pro``) is still Chinese; a text is
Chinese when at least half of its units are Han characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

__all__ = ["Language", "is_han", "language_of"]

Language = Literal["zh", "en"]

# CJK Unified Ideographs (+ extension A, compatibility ideographs, extensions B-F).
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")


def is_han(char: str) -> bool:
    return _HAN.fullmatch(char) is not None


def language_of(text: str, default: Language = "en") -> Language:
    """``"zh"`` when Han characters make up at least half of the units, else ``"en"``.

    A text with neither (digits, emoji, punctuation) gets ``default``.
    """
    han = len(_HAN.findall(text))
    if han == 0:
        return "en" if _LATIN_WORD.search(text) else default
    words = len(_LATIN_WORD.findall(text))
    return "zh" if han >= words else "en"


def mostly_english(texts: Sequence[str], share: float = 0.9) -> bool:
    """Whether at least ``share`` of ``texts`` are English: the condition for English-only
    encoders (MiniLM reads most Chinese characters as [UNK])."""
    return bool(texts) and sum(language_of(t) == "en" for t in texts) >= share * len(texts)
