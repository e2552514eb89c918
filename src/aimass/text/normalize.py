"""Unicode normalisation that remembers where every character came from.

Retrieval, explanations and policy all compare *normalised* text (NFKC, half-width, case
folded, traditional→simplified, whitespace collapsed) but must show results on the text the
customer actually typed. ``normalize`` therefore returns the normalised string together with
a map from each normalised character back to the original characters it came from, exact even
when normalisation changes length ('①'→'1', 'ﬁ'→'fi', 'e'+U+0301→'é', '❤'+U+FE0F→'❤').

The map is built per *cluster* (a base character plus the combining marks, variation
selectors and Hangul jamo that attach to it), because NFKC can merge a base with what follows
it; every character a cluster produces points at the whole cluster.

``normalize_fast`` gives the same string without the map (whitespace aside, which the
analyzer ignores) for bulk indexing, where building the map would cost more than it is worth.
"""

from __future__ import annotations

import threading
import unicodedata
from typing import TYPE_CHECKING, Any

from aimass.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

__all__ = ["NormalizedText", "normalize", "normalize_fast", "to_simplified"]

_NFKC = unicodedata.normalize
_category = unicodedata.category

# Characters that carry no searchable meaning and are removed from the normalised text:
# C0/C1 controls other than whitespace, soft hyphen, zero-width and bidi controls, word
# joiners, BOM, variation selectors and tag characters (emoji flags of subdivisions).
_DROP: dict[int, None] = {}
for _lo, _hi in (
    (0x00, 0x08),
    (0x0E, 0x1B),
    (0x7F, 0x84),
    (0x86, 0x9F),
    (0xAD, 0xAD),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0xE0000, 0xE007F),
    (0xE0100, 0xE01EF),
):
    for _cp in range(_lo, _hi + 1):
        _DROP[_cp] = None
del _lo, _hi, _cp
# Typographic apostrophes (Word, iOS keyboards) become ASCII so "don’t" matches "don't".
_TABLE: dict[int, str | None] = {**_DROP, 0x2018: "'", 0x2019: "'", 0x02BC: "'"}


def _is_continuation(ch: str) -> bool:
    """True for characters NFKC may merge into the character before them."""
    cp = ord(ch)
    if cp < 0x300:
        return False
    return _category(ch)[0] == "M" or 0x1160 <= cp <= 0x11FF


class NormalizedText:
    """A normalised string plus, for each of its characters, the original span it came from.

    ``text[i]`` came from ``original[starts[i]:ends[i]]``; several normalised characters may
    share one original span (an expansion such as 'ﬁ'→'fi') and one normalised character may
    cover several original ones (a composition such as 'e'+U+0301→'é', or a run of
    whitespace collapsed to one space).
    """

    __slots__ = ("_ends", "_starts", "original", "text")

    def __init__(self, original: str, text: str, starts: list[int], ends: list[int]) -> None:
        self.original = original
        self.text = text
        self._starts = starts
        self._ends = ends

    def __repr__(self) -> str:
        return f"NormalizedText({self.text!r}, original={self.original!r})"

    def __len__(self) -> int:
        return len(self.text)

    def to_original(self, i: int) -> int:
        """The original offset of the boundary before normalised character ``i``.

        ``i == len(text)`` is the boundary after the last character (the end of its original
        span), so ``span_to_original`` and ``to_original`` agree on end points.
        """
        n = len(self.text)
        if 0 <= i < n:
            return self._starts[i]
        if i == n:
            return self._ends[n - 1] if n else 0
        raise IndexError(f"offset {i} outside the normalised text (length {n})")

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """The smallest original span covering normalised characters ``start:end``."""
        n = len(self.text)
        if not 0 <= start <= end <= n:
            raise IndexError(f"span ({start}, {end}) outside the normalised text (length {n})")
        if start == end:
            at = self.to_original(start)
            return at, at
        return self._starts[start], self._ends[end - 1]


def _check_text(text: Any) -> str:
    if not isinstance(text, str):
        raise InputError(
            f"expected text (a str), got {type(text).__name__}",
            code="AM740",
            hint="pass the message or document text as a string (decode bytes as UTF-8 first)",
        )
    return text


def _normalize_cluster(cluster: str, lower: bool) -> str:
    out = _NFKC("NFKC", cluster)
    if lower:
        folded = out.casefold()
        if folded != out:
            out = _NFKC("NFKC", folded)
    return out.translate(_TABLE)


def normalize(text: str, *, t2s: bool = True, lower: bool = True) -> NormalizedText:
    """Normalise ``text`` for matching and keep a map back to the original characters.

    NFKC (which also turns full-width letters, digits and punctuation half-width and the
    ideographic space into a space), optional case folding, optional traditional→simplified
    Chinese, curly apostrophes made straight, invisible characters removed, every run of whitespace (tabs, newlines, NBSP …)
    collapsed to one space, and no leading or trailing space.
    """
    _check_text(text)
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        j = i + 1
        if ch < "\x80" and (j == n or text[j] < "\u0300"):
            # ASCII with nothing that could attach to it: the common case, kept cheap.
            out = "" if ord(ch) in _DROP else (ch.lower() if lower else ch)
        else:
            while j < n and _is_continuation(text[j]):
                j += 1
            out = _normalize_cluster(text[i:j], lower)
        for o in out:
            if o.isspace():
                if not chars:
                    continue  # leading whitespace
                if chars[-1] == " ":
                    ends[-1] = j  # one space stands for the whole run of whitespace
                    continue
                chars.append(" ")
            else:
                chars.append(o)
            starts.append(i)
            ends.append(j)
        i = j
    if chars and chars[-1] == " ":
        chars.pop()
        starts.pop()
        ends.pop()
    joined = "".join(chars)
    if t2s:
        joined = to_simplified(joined)
    return NormalizedText(text, joined, starts, ends)


def normalize_fast(text: str, *, t2s: bool = True, lower: bool = True) -> str:
    """``normalize(text).text`` without the offset map, for bulk indexing.

    Whitespace is left as it is (the analyzer skips it); every other character comes out as
    ``normalize`` gives it, at C speed.
    """
    _check_text(text)
    if text.isascii():
        out = text.lower() if lower else text
        return out.translate(_DROP)
    out = _NFKC("NFKC", text)
    if lower:
        folded = out.casefold()
        if folded != out:
            out = _NFKC("NFKC", folded)
    out = out.translate(_TABLE)
    if t2s:
        out = to_simplified(out)
    return out


# ---------------------------------------------------------------- traditional → simplified

_converter_lock = threading.Lock()
_converter: Callable[[str], str] | None = None
_convertible: frozenset[str] = frozenset()


def _load_converter() -> Callable[[str], str]:
    """OpenCC's t2s, loaded once per process, plus the set of characters it can change.

    The set lets the common case (text already simplified, or no Chinese at all) skip the
    pure-Python converter entirely: a phrase only converts if one of its characters differs
    from its conversion, and every such character is in the set.
    """
    global _converter, _convertible
    with _converter_lock:
        if _converter is None:
            from opencc import OpenCC

            cc = OpenCC("t2s")
            cc.convert("")  # builds the dictionaries now, not on the first real text
            changing: set[str] = set()
            for group in cc._dict_chain_data:
                for _max_len, _min_len, mapping in group:
                    for key, value in mapping.items():
                        first = value.split(" ")[0]
                        if len(first) != len(key):
                            changing.update(key)
                        else:
                            changing.update(a for a, b in zip(key, first, strict=True) if a != b)
            _convertible = frozenset(changing)
            _converter = cc.convert
        return _converter


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese, guaranteed to keep the length (so offsets hold).

    OpenCC converts phrase by phrase; should a phrase ever convert to a different length,
    the text is converted character by character instead, keeping any character whose own
    conversion is not a single character.
    """
    if text.isascii():
        return text
    convert = _converter or _load_converter()
    if _convertible.isdisjoint(text):
        return text
    out = convert(text)
    if len(out) == len(text):
        return out
    chars = []
    for ch in text:
        if ch in _convertible:
            conv = convert(ch)
            chars.append(conv if len(conv) == 1 else ch)
        else:
            chars.append(ch)
    return "".join(chars)
