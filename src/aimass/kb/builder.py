"""Writes a document's plain text while recording where each heading's body starts and ends.

Every format reader (Markdown, text, HTML, PDF, Word) walks its source in order and calls
``heading`` / ``line`` / ``end_block`` / ``page``; the builder owns the one plain-text layout
all formats share (a heading on its own line, blocks separated by a blank line, lines of a
list or table separated by a newline), so sections and passages are computed the same way
whatever the source was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aimass.kb.document import Section, slugify

__all__ = ["DocumentBuilder", "tidy_line"]

_SPACES = re.compile(r"[ \t\u00a0\u3000\u200b\ufeff]+")
_CJK_CHAR = (
    r"[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    r"\uff00-\uffef]"
)
_SPACE_BETWEEN_CJK = re.compile(rf"(?<={_CJK_CHAR}) (?={_CJK_CHAR})")


def tidy_line(text: str, *, join_cjk: bool = True) -> str:
    """One line of display text: runs of spaces collapsed, none between two CJK characters.

    HTML and PDF turn source line breaks into spaces; between two Chinese characters such a
    space is an artefact (Chinese has no word spaces), between a digit and a character it is
    the author's (``15 个工作日``) and stays. Markdown and Word text is the author's own
    spacing, so their readers pass ``join_cjk=False``.
    """
    text = _SPACES.sub(" ", text).strip()
    return _SPACE_BETWEEN_CJK.sub("", text) if join_cjk else text


@dataclass
class _Open:
    heading_path: list[str]
    anchor: str
    start: int
    page: int | None
    level: int
    line: int | None


class DocumentBuilder:
    """Accumulates plain text and sections; ``build()`` returns both."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._block_open = False
        self._stack: list[tuple[int, str, str]] = []  # (level, heading, anchor)
        self._anchors: dict[str, int] = {}
        self._page: int | None = None
        self._current = _Open([], "", 0, None, 0, None)
        self._closed: list[tuple[_Open, int]] = []
        self.first_heading: str | None = None

    # -- writing ---------------------------------------------------------------------------

    def line(self, text: str) -> None:
        """Append one line to the current block (opening a block if none is open)."""
        text = text.rstrip()
        if not text.strip():
            return
        if self._length:
            self._write("\n" if self._block_open else "\n\n")
        self._write(text)
        self._block_open = True

    def block(self, text: str) -> None:
        """Append a whole block (its own lines kept) and close it."""
        self.end_block()
        for line in text.split("\n"):
            self.line(line)
        self.end_block()

    def end_block(self) -> None:
        self._block_open = False

    def heading(
        self,
        text: str,
        level: int,
        *,
        anchor: str | None = None,
        line: int | None = None,
    ) -> None:
        """Start the section of a heading at ``level`` (0 = document title, 1 = h1, ...)."""
        text = " ".join(text.split())
        if not text:
            return
        self._close()
        if self.first_heading is None:
            self.first_heading = text
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        slug = self._unique(anchor or slugify(text))
        self._stack.append((level, text, slug))
        self.block(text)
        self._current = _Open(
            [h for _, h, _ in self._stack], slug, self._length, self._page, level, line
        )

    def page(self, number: int) -> None:
        """Start page ``number`` (PDF): a new section linked as ``#page=N``."""
        self._close()
        self.end_block()
        self._page = number
        self._stack.clear()
        self._current = _Open([], f"page={number}", self._length, number, 0, None)

    # -- result ----------------------------------------------------------------------------

    def build(self) -> tuple[str, list[Section]]:
        self._close()
        text = "".join(self._parts)
        sections: list[Section] = []
        for open_, end in self._closed:
            start = open_.start
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start == end and not open_.heading_path:
                continue  # no text before the first heading / an empty page
            sections.append(
                Section(
                    heading_path=open_.heading_path,
                    anchor=open_.anchor,
                    start=start,
                    end=end,
                    page=open_.page,
                    level=open_.level,
                    line=open_.line,
                )
            )
        return text, sections

    # -- internals -------------------------------------------------------------------------

    def _write(self, piece: str) -> None:
        self._parts.append(piece)
        self._length += len(piece)

    def _close(self) -> None:
        self._closed.append((self._current, self._length))

    def _unique(self, slug: str) -> str:
        """GitHub's rule for repeated headings: ``faq``, ``faq-1``, ``faq-2``."""
        count = self._anchors.get(slug)
        self._anchors[slug] = 0 if count is None else count + 1
        return slug if count is None else f"{slug}-{count + 1}"
