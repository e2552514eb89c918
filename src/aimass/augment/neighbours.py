"""Near-neighbour substitution in the backbone's own token-embedding space (English words).

The lexicon covers the customer-service words someone thought of; the backbone has seen far
more. Swapping an English word for a close neighbour in its input embedding matrix gives
rewrites no hand-written list holds, with nothing downloaded: the vectors come from the
trained artifact itself. They are much noisier than lexicon synonyms: on e5-small fine-tuned
on BANKING77 10-shot (a 3-intent smoke model), "refund" -> "return" (cosine 0.34) and
"money" -> "pay" (0.34), but also "card" -> "car" (0.29); input embeddings mix spelling with
meaning. The label filter catches rewrites read as another intent, not nonsense within the
intent, so this augmenter is not among the defaults and is asked for by name (``neighbour``).

A multilingual backbone's closest tokens are often translations ("card" -> "carte"), so the
candidates are limited to the words of the project's own examples (``vocabulary``). Only whole
words are candidates: SentencePiece pieces that start a word (``▁refund``) or
WordPiece pieces that are not continuations (not ``##...``), lower-case ASCII letters, at
least ``min_length`` long. A neighbour that shares the word's first four letters is skipped:
it is an inflection ("refunded"), not a new way of saying it.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from aimass.augment.base import AugmentContext, register
from aimass.augment.eda import EN_FILLERS
from aimass.augment.sampling import SamplingAugmenter
from aimass.errors import TrainingError

__all__ = ["NeighbourSwap", "token_word_vectors"]

_WORD = re.compile(r"[A-Za-z]+")


def token_word_vectors(
    predictor: Any, *, vocabulary: Iterable[str] | None = None, min_length: int = 3
) -> tuple[list[str], np.ndarray]:
    """``(words, unit vectors)`` of the whole-word tokens of a predictor's backbone.

    ``vocabulary`` (texts, e.g. the project's examples) keeps only the words they use: a
    multilingual backbone's nearest neighbours of "card" are "carte" and "kartu", which are
    not how an English-speaking customer says it; the project's own words are.
    """
    allowed = (
        {w.lower() for t in vocabulary for w in _WORD.findall(t)}
        if vocabulary is not None
        else None
    )
    tokenizer = predictor.enc.tokenizer
    weight = predictor.model.encoder.get_input_embeddings().weight.detach().float().cpu().numpy()
    vocab: dict[str, int] = tokenizer.get_vocab()
    sentencepiece = any(t.startswith("▁") for t in list(vocab)[:1000])
    words: dict[str, int] = {}
    for token, index in vocab.items():
        if sentencepiece:
            if not token.startswith("▁"):
                continue
            token = token[1:]
        elif token.startswith("##"):
            continue
        usable = token.isascii() and token.isalpha() and token.islower()
        if usable and len(token) >= min_length and (allowed is None or token in allowed):
            words.setdefault(token, index)
    names = sorted(words)
    vectors = weight[[words[w] for w in names]]
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return names, vectors.astype(np.float32)


class NeighbourSwap(SamplingAugmenter):
    name = "neighbour"
    languages = frozenset({"en"})
    top = 5
    min_similarity = 0.25  # cosine of input embeddings; measured on e5-small, see docstring

    def __init__(self, words: list[str], vectors: np.ndarray) -> None:
        self.words = words
        self.vectors = vectors
        self.index = {w: i for i, w in enumerate(words)}

    @functools.lru_cache(maxsize=4096)  # noqa: B019 (one augmenter per run; bounded)
    def neighbours(self, word: str) -> tuple[str, ...]:
        i = self.index.get(word)
        if i is None:
            return ()
        sims = self.vectors @ self.vectors[i]  # (V,)
        out: list[str] = []
        for j in np.argsort(-sims)[: self.top * 6]:
            other = self.words[int(j)]
            if sims[j] < self.min_similarity or len(out) == self.top:
                break
            if other[:4] == word[:4] or other in EN_FILLERS:
                continue
            out.append(other)
        return tuple(out)

    def one(self, text: str, language: str, rng: random.Random) -> str | None:
        spots = [
            m
            for m in _WORD.finditer(text)
            if len(m.group(0)) >= 4
            and m.group(0).lower() not in EN_FILLERS
            and self.neighbours(m.group(0).lower())
        ]
        if not spots:
            return None
        m = rng.choice(spots)
        new = rng.choice(self.neighbours(m.group(0).lower()))
        if m.group(0)[:1].isupper():
            new = new[:1].upper() + new[1:]
        return text[: m.start()] + new + text[m.end() :]


@register("neighbour")
def _neighbour(context: AugmentContext) -> NeighbourSwap:
    if context.word_vectors is None:
        raise TrainingError(
            "the neighbour augmenter needs a model's token embeddings",
            code="AM541",
            hint="pass a trained model (--model); it is built from the model's backbone",
        )
    words, vectors = context.word_vectors
    return NeighbourSwap(list(words), np.asarray(vectors))
