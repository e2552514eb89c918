"""Word substitutions that keep the meaning: lexicon synonyms and slot values.

``synonym`` replaces one or two words with another member of their group in the shipped
customer-service lexicon (``data/synonyms.yaml``); nothing is downloaded. ``slot_swap`` treats
an example that mentions a slot value (a lookup-table element, a synonym value or alias, an
annotated entity value) as a template and puts another value of the same slot in its place:
"我想退 iPhone 15" -> "我想退 MacBook Air".
"""

from __future__ import annotations

import random
import re

from aimass.augment.base import AugmentContext, register
from aimass.augment.sampling import SamplingAugmenter
from aimass.augment.words import join, lexicon, split

__all__ = ["SlotSwap", "SynonymSwap"]


_PRONOUN_I = re.compile(r"(?<![\w'])I(?![\w])")
_LOWER_I = re.compile(r"(?<![\w'])i(?=$|[\s'’,.!?])")


def _case_like(original: str, replacement: str) -> str:
    if original[:1].isupper() and replacement[:1].islower():
        return replacement[:1].upper() + replacement[1:]
    return replacement


class SynonymSwap(SamplingAugmenter):
    """Replace up to ``max_swaps`` words or phrases with a lexicon synonym."""

    name = "synonym"
    max_swaps = 2

    def __init__(self) -> None:
        groups = lexicon()
        self._zh: dict[str, tuple[str, ...]] = {}
        for group in groups.get("zh", ()):
            for word in group:
                self._zh.setdefault(word, tuple(w for w in group if w != word))
        self._en: dict[str, tuple[str, ...]] = {}
        for group in groups.get("en", ()):
            for word in group:
                self._en.setdefault(word, tuple(w for w in group if w != word))
        phrases = sorted(self._en, key=len, reverse=True)  # longest first: "how do i" before "i"
        self._en_re = re.compile(
            r"(?<![\w'])(" + "|".join(re.escape(p) for p in phrases) + r")(?![\w'])", re.I
        )

    def one(self, text: str, language: str, rng: random.Random) -> str | None:
        if language == "zh":
            pieces = split(text, "zh")
            spots = [i for i, p in enumerate(pieces) if p in self._zh]
            if not spots:
                return None
            for i in rng.sample(spots, min(len(spots), rng.randint(1, self.max_swaps))):
                pieces[i] = rng.choice(self._zh[pieces[i]])
            return join(pieces)
        matches = list(self._en_re.finditer(text))
        if not matches:
            return None
        chosen = sorted(
            rng.sample(matches, min(len(matches), rng.randint(1, self.max_swaps))),
            key=lambda m: m.start(),
        )
        out, last = [], 0
        for m in chosen:
            out += [
                text[last : m.start()],
                _case_like(m.group(0), rng.choice(self._en[m.group(0).lower()])),
            ]
            last = m.end()
        result = "".join([*out, text[last:]])
        if _PRONOUN_I.search(text):  # "how do I" -> "how can i": keep the pronoun's case
            result = _LOWER_I.sub("I", result)
        return result


class SlotSwap(SamplingAugmenter):
    """Swap a slot value found in the text for another value of the same slot."""

    name = "slot_swap"

    def __init__(self, slot_values: dict[str, list[str]]) -> None:
        self._slots = {
            slot: list(dict.fromkeys(v for v in values if v.strip()))
            for slot, values in slot_values.items()
        }
        self._slots = {s: v for s, v in self._slots.items() if len(v) > 1}
        self._owner: dict[str, list[str]] = {}
        for slot, values in self._slots.items():
            for value in values:
                self._owner.setdefault(value.casefold(), []).append(slot)
        values = sorted(self._owner, key=len, reverse=True)
        # A Latin value must stand as a word ("pro" is not inside "problem"); a Chinese one
        # cannot be delimited, so it matches as written, longest first.
        self._re = (
            re.compile(
                "|".join(
                    rf"(?<![A-Za-z0-9]){re.escape(v)}(?![A-Za-z0-9])"
                    if v[:1].isascii()
                    else re.escape(v)
                    for v in values
                ),
                re.I,
            )
            if values
            else None
        )

    def one(self, text: str, language: str, rng: random.Random) -> str | None:
        if self._re is None:
            return None
        matches = list(self._re.finditer(text))
        if not matches:
            return None
        m = rng.choice(matches)
        slot = rng.choice(self._owner[m.group(0).casefold()])
        options = [v for v in self._slots[slot] if v.casefold() != m.group(0).casefold()]
        if not options:
            return None
        return text[: m.start()] + rng.choice(options) + text[m.end() :]


@register("synonym")
def _synonym(context: AugmentContext) -> SynonymSwap:
    return SynonymSwap()


@register("slot_swap")
def _slot_swap(context: AugmentContext) -> SlotSwap:
    return SlotSwap(context.slot_values)
