"""Typos customers really make: Chinese homophones and look-alikes, English keyboard slips.

Chinese is typed with pinyin input methods, so the common slip is a character with the same
pinyin picked from the candidate list (退货 -> 退或); handwriting and stroke input give
look-alikes (未/末). ``homophone`` replaces one character with a common character of exactly
the same reading (pypinyin, tone included, the reading taken in context so 银行 keeps
"hang2"); candidates come from the shipped list of 3000 common characters
(``data/common_chars.txt``), so no rare character appears. ``shape`` uses the shipped
look-alike groups (``data/shapes.txt``). ``keyboard`` replaces, drops, doubles or transposes a
letter inside an English word using QWERTY neighbours.
"""

from __future__ import annotations

import functools
import random
from collections import defaultdict
from typing import Any

from aimass.augment.base import AugmentContext, register
from aimass.augment.sampling import SamplingAugmenter
from aimass.augment.words import common_chars, shape_groups
from aimass.data.language import is_han

__all__ = ["HomophoneTypo", "KeyboardTypo", "ShapeTypo", "homophones", "readings"]

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


@functools.cache
def _keyboard_neighbours() -> dict[str, str]:
    pos = {ch: (r, c) for r, row in enumerate(_ROWS) for c, ch in enumerate(row)}
    out: dict[str, str] = {}
    for ch, (r, c) in pos.items():
        near = []
        for other, (r2, c2) in pos.items():
            if other != ch and abs(r - r2) <= 1 and abs(c - c2) <= 1:
                near.append(other)
        out[ch] = "".join(sorted(near))
    return out


def readings(text: str) -> list[str | None]:
    """The tone-numbered pinyin of each character in context (``None`` for a non-Han one)."""
    from pypinyin import Style, pinyin

    def one_per_char(run: str) -> Any:  # pypinyin documents (and accepts) a list per char
        return [[None] for _ in run]

    items = pinyin(text, style=Style.TONE3, errors=one_per_char)
    flat = [item[0] for item in items]
    if len(flat) != len(text):  # never misalign characters and readings
        return [None] * len(text)
    return [r if r is not None and is_han(ch) else None for ch, r in zip(text, flat, strict=True)]


@functools.cache
def _by_reading() -> dict[str, tuple[str, ...]]:
    from pypinyin import Style, pinyin

    table: dict[str, list[str]] = defaultdict(list)
    for ch in common_chars():
        table[pinyin(ch, style=Style.TONE3, heteronym=False)[0][0]].append(ch)
    return {k: tuple(v) for k, v in table.items()}


def homophones(char: str, reading: str) -> tuple[str, ...]:
    """Common characters read exactly ``reading``, most frequent first, ``char`` excluded."""
    return tuple(c for c in _by_reading().get(reading, ()) if c != char)


class HomophoneTypo(SamplingAugmenter):
    name = "homophone"
    languages = frozenset({"zh"})
    top = 8  # pick among the most frequent candidates: the ones an input method shows first

    def one(self, text: str, language: str, rng: random.Random) -> str | None:
        reads = readings(text)
        spots = [i for i, r in enumerate(reads) if r is not None and homophones(text[i], r)]
        if not spots:
            return None
        i = rng.choice(spots)
        candidates = homophones(text[i], reads[i])[: self.top]  # type: ignore[arg-type]
        return text[:i] + rng.choice(candidates) + text[i + 1 :]


class ShapeTypo(SamplingAugmenter):
    name = "shape"
    languages = frozenset({"zh"})

    def one(self, text: str, language: str, rng: random.Random) -> str | None:
        groups = shape_groups()
        spots = [i for i, ch in enumerate(text) if ch in groups]
        if not spots:
            return None
        i = rng.choice(spots)
        return text[:i] + rng.choice(groups[text[i]]) + text[i + 1 :]


class KeyboardTypo(SamplingAugmenter):
    name = "keyboard"
    languages = frozenset({"en"})
    min_length = 4  # short words ("is", "my") turn into other words too easily

    def one(self, text: str, language: str, rng: random.Random) -> str | None:
        import re

        words = [m for m in re.finditer(r"[A-Za-z]+", text) if len(m.group(0)) >= self.min_length]
        if not words:
            return None
        m = rng.choice(words)
        word = m.group(0)
        i = rng.randrange(1, len(word))  # keep the first letter: people rarely miss it
        near = _keyboard_neighbours().get(word[i].lower(), "")
        op = rng.choice(("replace", "drop", "double", "transpose"))
        if op == "replace" and near:
            ch = rng.choice(near)
            new = word[:i] + (ch.upper() if word[i].isupper() else ch) + word[i + 1 :]
        elif op == "drop":
            new = word[:i] + word[i + 1 :]
        elif op == "double":
            new = word[:i] + word[i] + word[i:]
        elif i + 1 < len(word) and word[i] != word[i + 1]:
            new = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:
            return None
        return text[: m.start()] + new + text[m.end() :]


@register("homophone")
def _homophone(context: AugmentContext) -> HomophoneTypo:
    return HomophoneTypo()


@register("shape")
def _shape(context: AugmentContext) -> ShapeTypo:
    return ShapeTypo()


@register("keyboard")
def _keyboard(context: AugmentContext) -> KeyboardTypo:
    return KeyboardTypo()
