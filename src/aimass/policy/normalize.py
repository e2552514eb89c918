"""Normalised text that remembers where each character came from.

Rules match on a normalised form so that variants don't slip through: NFKC (full-width
``ＡＢＣ１２３`` -> ``ABC123``, compatibility forms), lower case, and traditional -> simplified
Chinese (OpenCC ``t2s``). A match found in the normalised text must still point at the right
characters of the original message (to mask them, or to highlight them), so every normalised
character keeps the index of the original character it came from.

The text layer's ``aimass.text.normalize`` does this for retrieval and explanations too; when
it is importable the policy uses it, so every part of AI Mass agrees on what a word is. The
small private normaliser below is the fallback.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Normalized", "normalize", "normalize_plain"]


class Normalized(Protocol):
    @property
    def original(self) -> str: ...

    @property
    def text(self) -> str: ...

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` covering normalised ``[start, end)``."""
        ...


class _Shared:
    """``aimass.text.normalize``'s result seen through the ``Normalized`` interface."""

    def __init__(self, normalized: Any) -> None:
        self._n = normalized
        self.original: str = normalized.original
        self.text: str = normalized.text

    def span(self, start: int, end: int) -> tuple[int, int]:
        s, e = self._n.span_to_original(start, end)
        return int(s), int(e)


@functools.cache
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@dataclass(frozen=True)
class _Private:
    """``text`` is the normalised form; ``origin[i]`` is the original index of ``text[i]``."""

    original: str
    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` covering normalised ``[start, end)``."""
        if end <= start:
            at = self.origin[start] if start < len(self.origin) else len(self.original)
            return at, at
        return self.origin[start], self.origin[end - 1] + 1


def normalize(text: str) -> Normalized:
    try:
        from aimass.text.normalize import normalize as shared
    except ImportError:
        return _normalize_private(text)
    return _Shared(shared(text))


def _normalize_private(text: str) -> _Private:
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        # Per character, so each output character knows its source. NFKC may expand one
        # character into several (e.g. "㈱"), never merges across characters we care about.
        for out in unicodedata.normalize("NFKC", ch).lower():
            chars.append(out)
            origin.append(i)
    folded = "".join(chars)
    simplified = _to_simplified(folded)
    return _Private(text, simplified, tuple(origin))


def normalize_plain(text: str) -> str:
    """The normalised form alone (for word lists and patterns)."""
    return normalize(text).text


def _to_simplified(text: str) -> str:
    if not any(ord(c) > 0x2E7F for c in text):
        return text
    converted = str(_t2s().convert(text))
    if len(converted) == len(text):
        return converted
    # A phrase conversion changed the length: convert character by character instead so the
    # offsets stay one to one (we lose phrase context, which matching does not need).
    return "".join(c if len(s := str(_t2s().convert(c))) != 1 else s for c in text)
