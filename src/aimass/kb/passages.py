"""Cutting a parsed document into passages that respect headings and sentences.

The rules, in the order they apply:

1. A passage lies inside one section: a heading always starts a new passage, so a hit links
   to the right ``path#anchor`` and never mixes two topics. (PDF pages are sections too.)
2. A section is cut only between sentences (``aimass.text.sentences``); sentences are packed
   greedily up to ``max_chars`` and each passage after the first starts with the last
   ``overlap_sentences`` of the one before, so an answer that straddles a cut is still whole
   in one of them. Only a single sentence longer than ``max_chars`` is cut inside: after a
   comma or semicolon where one is near the limit, else at a space, else at the limit.
3. A section smaller than ``min_chars`` (a one-line answer under its own heading) is merged
   with a neighbour when both sit under the same parent heading (siblings, or a parent's
   intro and its first child) and the result still fits ``max_chars``; the passage then
   carries the parent's heading path and anchor.

Sizes are ``text_size`` units (a CJK character counts 2), so Chinese and English passages hold
about the same number of model tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aimass.data.language import language_of
from aimass.errors import RetrievalError
from aimass.kb.document import CJK_WEIGHT, ParsedDocument, Passage, Section, digest_of, text_size
from aimass.text.sentences import split_sentences

__all__ = ["split_passages"]

_SOFT_CUTS = frozenset(",，、;；:：)）」』”")
_CJK_RANGES = (
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2EBEF),
)


@dataclass
class _Unit:
    """Sections (one, or siblings merged) and their sentence spans in document order."""

    sections: list[int]
    paths: list[list[str]]
    page: int | None
    sentences: list[tuple[int, int]] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.sentences[0][0]

    @property
    def end(self) -> int:
        return self.sentences[-1][1]


def split_passages(
    doc: ParsedDocument,
    *,
    max_chars: int = 350,
    min_chars: int = 40,
    overlap_sentences: int = 1,
) -> list[Passage]:
    """The passages of ``doc`` in document order; ``passage.text == doc.text[start:end]``."""
    if max_chars < 20 or not 0 <= min_chars < max_chars or overlap_sentences < 0:
        raise RetrievalError(
            f"invalid passage settings: max_chars={max_chars}, min_chars={min_chars}, "
            f"overlap_sentences={overlap_sentences}",
            code="AM727",
            hint="use max_chars >= 20, 0 <= min_chars < max_chars and overlap_sentences >= 0",
        )
    text = doc.text
    sections = doc.sections or [Section([], "", 0, len(text))]
    units: list[_Unit] = []
    for index, section in enumerate(sections):
        if section.end <= section.start:
            continue
        unit = _Unit([index], [section.heading_path], section.page)
        for start, end in split_sentences(text[section.start : section.end]):
            unit.sentences.extend(
                _cut_long(text, section.start + start, section.start + end, max_chars)
            )
        if unit.sentences:
            units.append(unit)
    passages: list[Passage] = []
    for unit in _merge_small(text, units, max_chars, min_chars):
        heading_path, anchor = _heading_of(unit, sections)
        for start, end in _pack(text, unit.sentences, max_chars, min_chars, overlap_sentences):
            body = text[start:end]
            passages.append(
                Passage(
                    passage_id=f"{doc.doc_id}#{len(passages)}",
                    doc_id=doc.doc_id,
                    title=doc.title,
                    heading_path=list(heading_path),
                    anchor=anchor,
                    text=body,
                    start=start,
                    end=end,
                    page=unit.page,
                    path=doc.path,
                    digest=digest_of(body),
                    language=language_of(body),
                )
            )
    return passages


def _common_prefix(paths: list[list[str]]) -> list[str]:
    prefix = list(paths[0])
    for path in paths[1:]:
        size = 0
        while size < min(len(prefix), len(path)) and prefix[size] == path[size]:
            size += 1
        prefix = prefix[:size]
    return prefix


def _mergeable(left: _Unit, right: _Unit) -> bool:
    """Same page, and every section is the common parent or a direct child of it."""
    if left.page != right.page:
        return False
    paths = left.paths + right.paths
    common = len(_common_prefix(paths))
    return all(len(path) - common <= 1 for path in paths)


def _merge_small(text: str, units: list[_Unit], max_chars: int, min_chars: int) -> list[_Unit]:
    merged: list[_Unit] = []
    for unit in units:
        if merged:
            last = merged[-1]
            small = (
                text_size(text[last.start : last.end]) < min_chars
                or text_size(text[unit.start : unit.end]) < min_chars
            )
            if (
                small
                and _mergeable(last, unit)
                and text_size(text[last.start : unit.end]) <= max_chars
            ):
                last.sections += unit.sections
                last.paths += unit.paths
                last.sentences += unit.sentences
                continue
        merged.append(unit)
    return merged


def _heading_of(unit: _Unit, sections: list[Section]) -> tuple[list[str], str]:
    """Heading path and anchor of a unit: its own, or the common parent's when merged."""
    first = sections[unit.sections[0]]
    if len(unit.sections) == 1:
        return first.heading_path, first.anchor
    common = _common_prefix(unit.paths)
    for index in range(unit.sections[0], -1, -1):
        if sections[index].heading_path == common and sections[index].page == first.page:
            return common, sections[index].anchor
    return common, f"page={first.page}" if first.page is not None and not common else ""


def _pack(
    text: str,
    sentences: list[tuple[int, int]],
    max_chars: int,
    min_chars: int,
    overlap: int,
) -> list[tuple[int, int]]:
    """Greedy runs of whole sentences up to ``max_chars``, with ``overlap`` sentences shared."""
    runs: list[tuple[int, int]] = []  # sentence index ranges [i, j)
    count = len(sentences)
    i = 0
    while i < count:
        j = i + 1
        while j < count and text_size(text[sentences[i][0] : sentences[j][1]]) <= max_chars:
            j += 1
        runs.append((i, j))
        if j >= count:
            break
        following = max(j - overlap, i + 1)
        if text_size(text[sentences[following][0] : sentences[j][1]]) > max_chars:
            following = j  # the overlap would leave no room for anything new
        i = following
    if len(runs) >= 2:
        runs[-2:] = _rebalance(text, sentences, runs[-2], runs[-1], max_chars, min_chars, overlap)
    return [(sentences[i][0], sentences[j - 1][1]) for i, j in runs]


def _rebalance(
    text: str,
    sentences: list[tuple[int, int]],
    previous: tuple[int, int],
    last: tuple[int, int],
    max_chars: int,
    min_chars: int,
    overlap: int,
) -> list[tuple[int, int]]:
    """Move the cut between the last two runs when greed left a scrap (< min_chars) at the end.

    Picks the cut that makes the larger of the two runs smallest, both within ``max_chars``.
    """

    def size(i: int, j: int) -> int:
        return text_size(text[sentences[i][0] : sentences[j - 1][1]])

    first, stop = previous[0], last[1]
    if size(max(last[0], previous[1]), stop) >= min_chars:
        return [previous, last]
    best: tuple[int, list[tuple[int, int]]] | None = None
    for cut in range(first + 1, stop):
        begin = max(cut - overlap, first + 1)
        if size(begin, stop) > max_chars:
            begin = cut
        left, right = size(first, cut), size(begin, stop)
        if left <= max_chars and right <= max_chars:
            worst = max(left, right)
            if best is None or worst < best[0]:
                best = (worst, [(first, cut), (begin, stop)])
    return best[1] if best is not None else [previous, last]


def _weight(char: str) -> int:
    code = ord(char)
    for low, high in _CJK_RANGES:
        if low <= code <= high:
            return CJK_WEIGHT
    return 1


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """A sentence as pieces of at most ``max_chars``: cut after punctuation, else a space.

    Linear in the sentence length (each piece is scanned once), so a megabyte without a full
    stop (a minified page, a PDF table) is still quick.
    """
    if text_size(text[start:end]) <= max_chars:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    while start < end:
        size, limit = 0, start
        while limit < end:
            size += _weight(text[limit])
            if size > max_chars:
                break
            limit += 1
        if limit >= end:
            pieces.append((start, end))
            break
        floor = start + max(1, (limit - start) // 2)
        cut = _last(text, floor, limit, lambda c: c in _SOFT_CUTS)
        if cut is None:
            cut = _last(text, start + 1, limit, str.isspace)
        if cut is None:
            cut = max(limit, start + 1)
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        pieces.append((start, piece_end))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    return pieces


def _last(text: str, low: int, high: int, wanted: Callable[[str], bool]) -> int | None:
    """The position just after the last character in ``text[low:high]`` that is wanted."""
    for position in range(high, low, -1):
        if wanted(text[position - 1]):
            return position
    return None
