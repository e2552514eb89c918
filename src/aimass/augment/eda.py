"""EDA-style edits (Wei & Zou 2019): swap, insert and delete words.

Words are jieba tokens for Chinese and space-separated words for English. A Chinese sentence
with two distant words swapped is usually nonsense, so ``eda_swap`` swaps two neighbouring
Chinese words; English follows the paper and swaps any two. ``eda_delete`` departs from the
paper in both languages: deleting a content word ("card", "refund", 快递) at random often
deletes the intent itself, so it removes only fillers and function words (的, 了, 吗, 请问,
一下 ...; "the", "just", "please" ...): one or two in Chinese, each with probability ``p`` (at
least one) in English, never a meaning-bearing word. ``eda_insert`` adds a filler in Chinese
and, as in the paper, a lexicon synonym of one of the words in English.
"""

from __future__ import annotations

import itertools
import random

from aimass.augment.base import AugmentContext, register
from aimass.augment.sampling import SamplingAugmenter
from aimass.augment.words import is_word, join, lexicon, split

__all__ = ["EN_FILLERS", "ZH_FILLERS", "RandomDelete", "RandomInsert", "RandomSwap"]

# Tokens whose removal or addition does not change what a Chinese customer asks for.
ZH_FILLERS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "哦",
        "嘛",
        "啦",
        "哈",
        "呃",
        "嗯",
        "哎",
        "么",
        "请问",
        "一下",
        "麻烦",
        "那个",
        "就是",
        "亲",
        "你好",
        "您好",
        "谢谢",
        "我想问",
        "想问",
    ]
)
# English words whose removal leaves the request readable ("how do I get a new card" ->
# "how do I get new card"); nouns, verbs and negations carry the intent and are never dropped.
EN_FILLERS = frozenset(
    (  # noqa: SIM905 (one string reads better than 70 list items)
        "a an the just please really actually so very quite some any also still now then "
        "here there that this these those of to for on in at by with from about is are was "
        "be been do does did can could would will should may might hi hello hey um uh well "
        "ok okay i me my you your we our it its"
    ).split()
)
_ZH_PREFIXES = ("请问", "麻烦问下，", "你好，", "亲，", "那个，", "您好，")
_ZH_SUFFIXES = ("呢", "呀", "啊", "，谢谢", "，急", "？")
_EN_PREFIXES = ("hi, ", "hello, ", "hey, ", "excuse me, ", "please, ")
_EN_SUFFIXES = (" please", ", thanks", " thank you", "?")


def _word_spots(pieces: list[str]) -> list[int]:
    return [i for i, p in enumerate(pieces) if is_word(p)]


class RandomSwap(SamplingAugmenter):
    name = "eda_swap"

    def one(self, text: str, language: str, rng: random.Random) -> str | None:
        pieces = split(text, language)
        spots = _word_spots(pieces)
        if len(spots) < 2:
            return None
        if language == "zh":
            pairs = [(a, b) for a, b in itertools.pairwise(spots) if b == a + 1]
            if not pairs:
                return None
            a, b = rng.choice(pairs)
        else:
            a, b = rng.sample(spots, 2)
        if pieces[a].casefold() == pieces[b].casefold():
            return None
        pieces[a], pieces[b] = pieces[b], pieces[a]
        return join(pieces)


class RandomInsert(SamplingAugmenter):
    name = "eda_insert"

    def __init__(self) -> None:
        self._en: dict[str, tuple[str, ...]] = {}
        for group in lexicon().get("en", ()):
            for word in group:
                if " " not in word:
                    self._en.setdefault(word, tuple(w for w in group if w != word))

    def one(self, text: str, language: str, rng: random.Random) -> str | None:
        if language == "zh":
            if rng.random() < 0.5:
                prefix = rng.choice(_ZH_PREFIXES)
                return None if text.startswith(prefix[:2]) else prefix + text
            core = text.rstrip("。.!！?？ ")
            return core + rng.choice(_ZH_SUFFIXES)
        pieces = split(text, "en")
        spots = _word_spots(pieces)
        known = [i for i in spots if pieces[i].lower() in self._en]
        if known and rng.random() < 0.7:
            synonym = rng.choice(self._en[pieces[rng.choice(known)].lower()])
            at = rng.choice(spots)  # before a word, so never after the final punctuation
            return join(pieces[:at]) + synonym + " " + join(pieces[at:])
        if rng.random() < 0.5:
            return rng.choice(_EN_PREFIXES) + text
        return text.rstrip(".!? ") + rng.choice(_EN_SUFFIXES)


class RandomDelete(SamplingAugmenter):
    name = "eda_delete"
    p = 0.1

    def one(self, text: str, language: str, rng: random.Random) -> str | None:
        pieces = split(text, language)
        spots = _word_spots(pieces)
        if language == "zh":
            fillers = [i for i in spots if pieces[i] in ZH_FILLERS]
            if not fillers or len(fillers) == len(spots):
                return None
            drop = set(rng.sample(fillers, rng.randint(1, min(2, len(fillers)))))
        else:
            fillers = [i for i in spots if pieces[i].lower() in EN_FILLERS]
            if len(spots) < 3 or not fillers:
                return None
            drop = {i for i in fillers if rng.random() < self.p} or {rng.choice(fillers)}
            if len(drop) >= len(spots) - 1:
                return None
        kept: list[str] = []
        for i, piece in enumerate(pieces):
            if i in drop:
                continue
            if piece.isspace() and kept and kept[-1].isspace():
                continue  # "a  b" after dropping a word between two spaces
            kept.append(piece)
        return join(kept).strip()


@register("eda_swap")
def _swap(context: AugmentContext) -> RandomSwap:
    return RandomSwap()


@register("eda_insert")
def _insert(context: AugmentContext) -> RandomInsert:
    return RandomInsert()


@register("eda_delete")
def _delete(context: AugmentContext) -> RandomDelete:
    return RandomDelete()
