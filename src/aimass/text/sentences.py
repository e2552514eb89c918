"""Sentence boundaries for Chinese, English and mixed text, as character spans.

Retrieval needs sentences twice: the knowledge base is cut into passages at sentence
boundaries, and a hit is shown with its best sentence highlighted. Both need *offsets* into
the text, not copies, so ``split_sentences`` returns ``(start, end)`` spans (whitespace
trimmed) and the caller slices.

Why our own splitter and not a library: the well-kept ones are English-first (punkt, spaCy's
sentencizer) and either cut Chinese only at ``。`` or need a model download; a customer-service
help text mixes both languages in one paragraph, and its lists and tables are written one item
a line. The rules here:

* Chinese ``。！？；…`` (and half-width ``｡``) end a sentence wherever they stand; a run of them
  (``？！``, ``……``) stays together, and closing quotes/brackets (``”’」』）】》``) that follow stay
  with the sentence they close.
* English ``. ! ?`` end a sentence only before whitespace (or Chinese text, or the end) and
  not before a lower-case word, so decimals (``3.5``), URLs, e-mail addresses and ``e.g.,`` are
  never cut; a full stop after a known abbreviation (``Mr.``, ``e.g.``, ``No.``), a single
  initial (``J. Smith``) or a list number at the start of a line (``1. Open the app``) is not
  an end either.
* A line break is a boundary (lists and tables are written a row a line), except where a line
  is visibly wrapped: it ends with a comma, or the next line goes on in lower case.

Pure Python, no dependencies, linear in the text length.
"""

from __future__ import annotations

import re

__all__ = ["ABBREVIATIONS", "NUMBER_ABBREVIATIONS", "split_sentences"]

# Words whose full stop never ends a sentence: titles and Latin abbreviations that are
# followed by a name, a number or the rest of the sentence. ("etc." is deliberately absent:
# it often ends one; before a lower-case word it is kept by the lower-case rule anyway.)
ABBREVIATIONS: frozenset[str] = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "mx",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "vs",
        "v",
        "e.g",
        "eg",
        "i.e",
        "ie",
        "cf",
        "viz",
        "al",
        "pp",
        "approx",
        "ca",
        "dept",
        "inc",
        "ltd",
        "co",
        "corp",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "a.m",
        "p.m",
        "u.s",
        "u.k",
    }
)

# Abbreviations that only stand before a number ("No. 5", "Fig. 2"); elsewhere the word is
# an ordinary one that may end a sentence ("The answer is no. We ...").
NUMBER_ABBREVIATIONS: frozenset[str] = frozenset(
    {"no", "nos", "vol", "vols", "fig", "figs", "tel", "ext", "art", "sec", "ch", "p", "pp"}
)

_CJK_TERMINALS = frozenset("。！？；…｡")
# A run of terminal punctuation, then the closing quotes/brackets that belong to the sentence.
_TERMINAL = re.compile(r"[。！？；…｡.!?]+[”’」』）)】》〉\]］\"'»]*")
_LINE_BREAK = re.compile(r"[\n\v\f\u2028\u2029]")
_LIST_ITEM = re.compile(
    r"\s*(?:[-*+•·▪●◦■□✓✔]\s|\d{1,3}[.)、．]\s?|[（(]\d{1,3}[)）]|[①-⑳]|"
    r"[一二三四五六七八九十]{1,3}[、.．]|[a-zA-Z][.)]\s|第[一二三四五六七八九十百\d]+[条章节步])"
)
_WRAP_ENDINGS = frozenset(",，、-–(（")
_SPACE = frozenset(" \t\r\u00a0\u3000")


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3000 <= code <= 0x30FF  # CJK punctuation, kana
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0x20000 <= code <= 0x2EBEF
    )


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text``, in order, each stripped of whitespace.

    ``text[start:end]`` is the sentence; the spans never overlap and together hold every
    non-whitespace character of ``text``.
    """
    cuts: list[int] = []
    line_start = 0
    for match in _LINE_BREAK.finditer(text):
        _cut_line(text, line_start, match.start(), cuts)
        if not _is_wrapped(text, line_start, match.start(), match.end()):
            cuts.append(match.start())
        line_start = match.end()
    _cut_line(text, line_start, len(text), cuts)
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*cuts, len(text)]:
        span = _strip(text, start, cut)
        if span is not None:
            spans.append(span)
        start = max(start, cut)
    return spans


def _cut_line(text: str, start: int, end: int, cuts: list[int]) -> None:
    """Append the sentence ends found inside one line ``text[start:end]``."""
    for match in _TERMINAL.finditer(text, start, end):
        stop = match.end()
        run = match.group()
        if any(char in _CJK_TERMINALS for char in run):
            cuts.append(stop)
            continue
        if stop >= end:
            continue  # the line break (or the end) decides
        after = text[stop]
        if _is_cjk(after):
            cuts.append(stop)
            continue
        if after not in _SPACE:
            continue  # 3.5, example.com, e.g.,
        following = _next_visible(text, stop, end)
        if following is None:
            continue
        if following.islower():
            continue
        if run.rstrip("”’」』）)】》〉]］\"'»") == "." and _keeps_full_stop(
            text, start, match.start(), following
        ):
            continue
        cuts.append(stop)


def _keeps_full_stop(text: str, line_start: int, dot: int, following: str) -> bool:
    """True when the full stop at ``dot`` belongs to the word before it, not the sentence."""
    begin = dot
    while begin > line_start and not text[begin - 1].isspace():
        begin -= 1
    word = text[begin:dot].lstrip("\"'“‘(（[「『")
    if not word:
        return False
    lowered = word.lower()
    if lowered in ABBREVIATIONS:
        return True
    if lowered in NUMBER_ABBREVIATIONS:
        return following.isdigit()
    if len(word) == 1 and word.isalpha():
        return True  # an initial: J. Smith
    # a list number at the start of a line: "1. Open the app"
    return word.isdigit() and not text[line_start:begin].strip(" \t-*+•>#")


def _next_visible(text: str, index: int, end: int) -> str | None:
    while index < end:
        if text[index] not in _SPACE:
            return text[index]
        index += 1
    return None


def _is_wrapped(text: str, line_start: int, line_end: int, next_start: int) -> bool:
    """True when the line break at ``line_end`` only wraps a sentence that goes on."""
    previous = text[line_start:line_end].rstrip()
    if not previous:
        return False
    next_end = _LINE_BREAK.search(text, next_start)
    following = text[next_start : next_end.start() if next_end else len(text)].lstrip()
    if not following or _LIST_ITEM.match(following):
        return False
    last = previous[-1]
    if last in _WRAP_ENDINGS:
        return True
    return "a" <= following[0] <= "z" and last not in ".!?。！？；…:：" and not _is_cjk(last)


def _strip(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
