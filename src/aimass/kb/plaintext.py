"""Plain text with its headings, found conservatively.

A ``.txt`` help file has no markup, so a line is taken as a heading only when it is marked as
one beyond doubt, because a false heading would cut a passage in two:

* Markdown-style ``# Heading`` lines and setext underlines (``Title`` over ``=====``), which
  many text files use;
* a short line standing alone between blank lines, that does not end like a sentence and is
  numbered like a heading: ``第一章 …`` / ``第二节 …``, ``一、…``, ``（一）…``, ``2.1 …``, or is
  written in capitals (``RETURNS POLICY``);
* the first line, when it stands alone, is short and does not end like a sentence: the title.

Body lines are kept as written (the sentence splitter joins visibly wrapped lines).
"""

from __future__ import annotations

import re

from aimass.kb.builder import DocumentBuilder
from aimass.kb.document import Section

__all__ = ["parse_marked_text", "parse_plaintext"]

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_UNDERLINE = re.compile(r"^ {0,3}(={3,}|-{3,})[ \t]*$")
_CHAPTER = re.compile(r"^第[一二三四五六七八九十百千零〇\d]+([章篇部节])(?:[ \t\u3000:：、]|$)")
_CN_NUMBER = re.compile(r"^[一二三四五六七八九十]{1,3}[、．.]\s*\S")
_CN_PAREN = re.compile(r"^[（(][一二三四五六七八九十]{1,3}[)）]\s*\S")
_DOTTED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)\.?[ \t]+\S")
_CAPITALS = re.compile(r"^[A-Z0-9][A-Z0-9 &/'’,:()\-]*[A-Z][A-Z0-9 &/'’()\-]*$")
_ENDS_SENTENCE = tuple("。！？；.!?;:：,，、")
_MAX_HEADING = 40
_MAX_TITLE = 60


def _heading_level(line: str) -> int | None:
    """The level of a stand-alone line that is numbered/written like a heading, else None."""
    text = line.strip()
    if not text or len(text) > _MAX_HEADING or text.endswith(_ENDS_SENTENCE):
        return None
    chapter = _CHAPTER.match(text)
    if chapter:
        return 2 if chapter.group(1) == "节" else 1
    if _CN_NUMBER.match(text):
        return 2
    if _CN_PAREN.match(text):
        return 3
    dotted = _DOTTED.match(text)
    if dotted:
        return dotted.group(1).count(".") + 1
    if _CAPITALS.match(text) and sum(c.isalpha() for c in text) >= 3:
        return 2
    return None


def parse_plaintext(source: str) -> tuple[str | None, str, list[Section]]:
    """``(title, plain text, sections)`` of a text document; the title may be None."""
    lines = [line.rstrip() for line in source.split("\n")]
    out = DocumentBuilder()
    title: str | None = None
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            out.end_block()
            index += 1
            continue
        alone = (index == 0 or not lines[index - 1].strip()) and (
            index + 1 >= len(lines) or not lines[index + 1].strip()
        )
        atx = _ATX.match(line)
        if atx:
            out.heading(atx.group(2), len(atx.group(1)), line=index + 1)
        elif (
            index + 1 < len(lines)
            and _UNDERLINE.match(lines[index + 1])
            and (index == 0 or not lines[index - 1].strip())
            and len(line.strip()) <= _MAX_TITLE
        ):
            out.heading(line, 1 if lines[index + 1].strip()[0] == "=" else 2, line=index + 1)
            index += 1
        elif alone and (numbered := _heading_level(line)) is not None:
            out.heading(line, numbered, line=index + 1)
        elif index == first and alone and _is_title(line) and _has_text_after(lines, index):
            title = line.strip()
            out.heading(line, 1, line=index + 1)
        else:
            out.line(line)
        index += 1
    text, sections = out.build()
    if title is None and first is not None and sections and sections[0].heading_path:
        # The document opens with a marked heading (``# 发票说明``): that is its title.
        leading = next((s for s in sections if s.line == first + 1), None)
        if leading is not None:
            title = leading.heading
    return title, text, sections


def _is_title(line: str) -> bool:
    text = line.strip()
    return len(text) <= _MAX_TITLE and not text.endswith(_ENDS_SENTENCE)


def _has_text_after(lines: list[str], index: int) -> bool:
    return any(line.strip() for line in lines[index + 1 :])


_MARKED_HEADING = re.compile(r"^(#{1,6}) (.+?)(?: \{#([^}\s]+)\})?$")


def parse_marked_text(source: str, *, paged: bool = False) -> tuple[str | None, str, list[Section]]:
    """Read back ``ParsedDocument.to_marked_text()``: ``#`` heading lines (with ``{#anchor}``),
    form feeds between pages, ``\\`` escaping a body line that starts with ``#`` or ``\\``.

    Nothing is guessed, so a document round-trips to the same text, sections and passages.
    ``paged`` (a PDF): every page, the first included, is a section of its own.
    """
    out = DocumentBuilder()
    pages = source.split("\f")
    for number, page in enumerate(pages, start=1):
        if paged:
            out.page(number)
        for line in page.split("\n"):
            if not line.strip():
                out.end_block()
                continue
            heading = _MARKED_HEADING.match(line)
            if heading:
                out.heading(heading.group(2), len(heading.group(1)), anchor=heading.group(3))
            else:
                out.line(line[1:] if line.startswith("\\") else line)
    text, sections = out.build()
    return out.first_heading, text, sections
