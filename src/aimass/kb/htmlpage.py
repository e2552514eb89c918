"""HTML to plain text with its heading structure (BeautifulSoup with the stdlib parser).

``h1``-``h6`` are headings (their ``id``, when present, is the anchor, so a link lands on the
page's own target); paragraphs and other blocks are separated by a blank line, list items and
table rows get a line each (cells joined by `` | ``); scripts, styles, navigation and other
non-content elements are dropped. Whitespace is collapsed the way a browser shows it (a line break between
two Chinese characters disappears), except inside ``pre``.
"""

from __future__ import annotations

import re
from typing import Any

from aimass.kb.builder import DocumentBuilder, tidy_line
from aimass.kb.document import Section

__all__ = ["parse_html"]

_DROP = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "svg",
    "iframe",
    "object",
    "canvas",
    "button",
    "select",
    "head",
)
_WHITESPACE = re.compile(r"\s+")
_CJK = "[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]"
# A source line break between two CJK characters is layout, not a space (Chinese has none).
_WRAP_BETWEEN_CJK = re.compile(rf"(?<={_CJK})[ \t]*\n\s*(?={_CJK})")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Blocks separated from their neighbours by a blank line.
_BLOCKS = frozenset(
    {
        *("p", "div", "section", "article", "main", "header", "footer", "aside", "center"),
        *("blockquote", "pre", "figure", "figcaption", "form", "fieldset", "address"),
        *("details", "summary", "ul", "ol", "dl", "table", "hr", "body"),
    }
)
# Blocks that get a line of their own inside the surrounding block.
_LINES = frozenset({"li", "dt", "dd", "caption", "option", "legend"})


class _Walker:
    def __init__(self) -> None:
        self.out = DocumentBuilder()
        self.buffer: list[str] = []
        self.pre = 0  # inside how many <pre>: there, whitespace is the author's

    def flush_line(self) -> None:
        raw = "".join(self.buffer)
        self.buffer = []
        text = raw.rstrip() if self.pre else tidy_line(raw, join_cjk=False)
        if text.strip():
            self.out.line(text)

    def walk(self, node: Any) -> None:
        from bs4.element import NavigableString, PreformattedString, Tag

        for child in node.children:
            if isinstance(child, NavigableString):
                if isinstance(child, PreformattedString):
                    continue  # comments, CDATA, doctype, processing instructions
                text = str(child)
                if self.pre:
                    for number, piece in enumerate(text.split("\n")):
                        if number:
                            self.flush_line()
                        self.buffer.append(piece)
                else:
                    self.buffer.append(_WHITESPACE.sub(" ", _WRAP_BETWEEN_CJK.sub("", text)))
                continue
            if not isinstance(child, Tag):
                continue
            name = (child.name or "").lower()
            if name in _HEADINGS:
                self.flush_line()
                self.out.end_block()
                anchor = child.get("id")
                self.out.heading(
                    tidy_line(child.get_text(" ")),
                    _HEADINGS[name],
                    anchor=str(anchor) if anchor else None,
                )
            elif name == "br":
                self.flush_line()
            elif name == "tr":
                self.flush_line()
                cells = [tidy_line(c.get_text(" ")) for c in child.find_all(["td", "th"])]
                self.out.line(" | ".join(c for c in cells if c))
            elif name in _BLOCKS:
                self.flush_line()
                self.out.end_block()
                self.pre += name == "pre"
                self.walk(child)
                self.flush_line()
                self.pre -= name == "pre"
                self.out.end_block()
            elif name in _LINES:
                self.flush_line()
                self.walk(child)
                self.flush_line()
            elif name != "img":
                self.walk(child)


def parse_html(source: str) -> tuple[str | None, str, list[Section]]:
    """``(title, plain text, sections)``: the title is ``<title>``, else the first ``<h1>``."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(source, "html.parser")
    title = None
    if soup.title is not None and soup.title.get_text(strip=True):
        title = tidy_line(soup.title.get_text(" "))
    elif (h1 := soup.find("h1")) is not None and h1.get_text(strip=True):
        title = tidy_line(h1.get_text(" "))
    for tag in soup(list(_DROP)):
        tag.decompose()
    walker = _Walker()
    walker.walk(soup.body if soup.body is not None else soup)
    walker.flush_line()
    text, sections = walker.out.build()
    return title, text, sections
