"""Splitting a message into pieces that join back into it exactly, and the shipped word lists.

Augmenters edit a text as a list of pieces (words, spaces, punctuation) whose concatenation is
the text, so an edit never disturbs anything it does not touch. Chinese is segmented with
jieba (a private ``jieba.Tokenizer`` that knows the lexicon's words, so the global jieba that
other parts of AI Mass may use is left alone); English is split on word boundaries.

The data files (``data/``) are read once, when first needed.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "common_chars",
    "is_word",
    "join",
    "lexicon",
    "shape_groups",
    "split",
]

_EN_PIECES = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*|\s+|[^A-Za-z0-9\s]")
_WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)


def _data(name: str) -> str:
    return resources.files("aimass.augment").joinpath("data", name).read_text(encoding="utf-8")


@functools.cache
def lexicon() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Synonym groups by language (``zh``, ``en``), lower-cased for English."""
    raw: dict[str, list[list[str]]] = yaml.safe_load(_data("synonyms.yaml"))
    out: dict[str, tuple[tuple[str, ...], ...]] = {}
    for lang, groups in raw.items():
        clean = []
        for group in groups:
            words = tuple(dict.fromkeys(str(w).lower() if lang == "en" else str(w) for w in group))
            if len(words) > 1:
                clean.append(words)
        out[lang] = tuple(clean)
    return out


@functools.cache
def common_chars() -> tuple[str, ...]:
    """The shipped common simplified characters, most frequent first."""
    lines = [ln.strip() for ln in _data("common_chars.txt").splitlines()]
    return tuple(ch for ln in lines if ln and not ln.startswith("#") for ch in ln)


@functools.cache
def shape_groups() -> dict[str, tuple[str, ...]]:
    """Character -> the other common characters that look like it."""
    common = set(common_chars())
    out: dict[str, tuple[str, ...]] = {}
    for line in _data("shapes.txt").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        group = [ch for ch in dict.fromkeys(line) if ch in common]
        for ch in group:
            others = tuple(o for o in group if o != ch)
            if others:
                out[ch] = tuple(dict.fromkeys(out.get(ch, ()) + others))
    return out


@functools.cache
def _jieba() -> Any:
    import logging

    import jieba

    tokenizer = jieba.Tokenizer()
    # jieba announces building its prefix dictionary at INFO on its own logger; the library
    # never configures logging, so quieten only that logger and only while initialising.
    jlog = logging.getLogger("jieba")
    level = jlog.level
    jlog.setLevel(logging.WARNING)
    try:
        tokenizer.initialize()
    finally:
        jlog.setLevel(level)
    for group in lexicon().get("zh", ()):
        for word in group:
            tokenizer.add_word(word)
    return tokenizer


def split(text: str, language: str) -> list[str]:
    """Pieces of ``text`` (words, spaces, punctuation) that ``join`` back into it exactly."""
    if language == "zh":
        pieces = [p for p in _jieba().cut(text, HMM=True) if p]
    else:
        pieces = _EN_PIECES.findall(text)
    if "".join(pieces) != text:  # never lose a character, whatever the segmenter did
        return list(text)
    return pieces


def join(pieces: list[str]) -> str:
    return "".join(pieces)


def is_word(piece: str) -> bool:
    """A piece that carries a word (not a space or punctuation)."""
    return bool(_WORD.search(piece))
