"""Markdown to plain text with its heading structure.

Why not a Markdown library: renderers (markdown-it, mistune) produce HTML, which we would then
have to strip again, and none keeps the heading tree with offsets into plain text. Help
documents use a small part of Markdown, which a line-based reader covers: ATX and setext
headings (``{#id}`` attributes become the anchor), paragraphs (soft-wrapped lines joined, with
no space between Chinese characters), lists (bullets dropped, numbers kept: steps keep their
order), block quotes, fenced code, tables (a row a line, cells joined by `` | ``), YAML front
matter (its ``title`` is the document title), and inline emphasis, code, links, images (their
alt text), autolinks, footnote marks, HTML tags and entities.
"""

from __future__ import annotations

import html
import re

from aimass.kb.builder import DocumentBuilder, tidy_line
from aimass.kb.document import Section

__all__ = ["parse_markdown", "strip_inline"]

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_ATX_CLOSE = re.compile(r"[ \t]+#+$")
_HEADING_ID = re.compile(r"\s*\{#([^}\s]+)[^}]*\}\s*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+]|\d{1,9}[.)])(?:[ \t]+(?P<rest>.*))?$")
_TASK = re.compile(r"^\[[ xX]\][ \t]+")
_QUOTE = re.compile(r"^ {0,3}>[ \t]?")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(?:\|\s*:?-{1,}:?\s*)*\|?\s*$")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+.*$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title\s*:\s*(.+?)\s*$", re.IGNORECASE)

_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_ESCAPE = re.compile(r"\\([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")
_IMAGE = re.compile(r"!\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^()]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+|[^@<>\s]+@[^<>\s]+\.[^<>\s]+)>")
_FOOTNOTE = re.compile(r"\[\^[^\]]+\]")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<!\*)\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?!\*)")
_EM_UNDERSCORE = re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")

_SENTENCE_END = tuple("。！？；.!?;:：")


def strip_inline(text: str) -> str:
    """Inline Markdown to plain text (``**7 天内**`` -> ``7 天内``, ``[a](u)`` -> ``a``)."""
    kept: list[str] = []

    def protect(value: str) -> str:
        kept.append(value)
        return f"\ue000{len(kept) - 1}\ue001"

    text = _CODE_SPAN.sub(lambda m: protect(m.group(2).strip()), text)
    text = _ESCAPE.sub(lambda m: protect(m.group(1)), text)
    text = _AUTOLINK.sub(lambda m: protect(m.group(1).removeprefix("mailto:")), text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _FOOTNOTE.sub("", text)
    text = _TAG.sub("", text)
    for pattern in (_STRONG, _STRONG, _EM_STAR, _EM_UNDERSCORE, _STRIKE):
        text = pattern.sub(lambda m: m.group(m.lastindex or 0), text)
    text = html.unescape(text)
    while _PLACEHOLDER.search(text):
        text = _PLACEHOLDER.sub(lambda m: kept[int(m.group(1))], text)
    return text


def _join(lines: list[str]) -> str:
    """Join a paragraph's source lines: wrapped lines run on, finished lines stay lines."""
    out = ""
    for raw in lines:
        hard_break = raw.endswith(("  ", "\\"))
        line = tidy_line(strip_inline(raw.rstrip("\\").strip()), join_cjk=False)
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith("\n") or out.endswith(_SENTENCE_END):
            out = out.rstrip("\n") + "\n" + line
        elif _is_cjk(out[-1]) and _is_cjk(line[0]):
            out += line
        else:
            out += " " + line
        if hard_break:
            out += "\n"
    return out.rstrip("\n")


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x2E80 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF


def _front_matter(lines: list[str]) -> tuple[int, str | None]:
    """Lines taken by YAML front matter (``---`` ... ``---``) and its ``title``."""
    if not lines or lines[0].strip() != "---":
        return 0, None
    for index in range(1, min(len(lines), 200)):
        if lines[index].strip() in ("---", "..."):
            title = None
            for line in lines[1:index]:
                match = _FRONT_TITLE.match(line)
                if match:
                    title = match.group(1).strip().strip("\"'")
                    break
            return index + 1, title
    return 0, None


class _Reader:
    def __init__(self) -> None:
        self.out = DocumentBuilder()
        self.paragraph: list[str] = []
        self.paragraph_line: int | None = None
        self.items: list[list[str]] = []  # an open list: each item's source lines

    def flush(self) -> None:
        if self.paragraph:
            self.out.block(_join(self.paragraph))
            self.paragraph = []
        if self.items:
            self.out.end_block()
            for item in self.items:
                self.out.line(_join(item).replace("\n", " "))
            self.out.end_block()
            self.items = []

    def read(self, lines: list[str], first_line: int) -> None:
        index = 0
        while index < len(lines):
            number = first_line + index
            line = lines[index]
            while _QUOTE.match(line):
                line = _QUOTE.sub("", line, count=1)
            if not line.strip():
                self.flush()
                index += 1
                continue
            fence = _FENCE.match(line)
            if fence:
                self.flush()
                index = self._code(lines, index + 1, fence.group(1))
                continue
            atx = _ATX.match(line)
            if atx:
                self.flush()
                self._heading(atx.group(2) or "", len(atx.group(1)), number)
                index += 1
                continue
            setext = _SETEXT.match(line)
            if setext and self.paragraph and not self.items:
                text = " ".join(p.strip() for p in self.paragraph)
                line_of = self.paragraph_line
                self.paragraph = []
                self._heading(text, 1 if setext.group(1)[0] == "=" else 2, line_of)
                index += 1
                continue
            if _RULE.match(line):
                self.flush()
                index += 1
                continue
            if (
                "|" in line
                and index + 1 < len(lines)
                and _TABLE_RULE.match(lines[index + 1])
                and ("|" in lines[index + 1] or line.lstrip().startswith("|"))
            ):
                self.flush()
                index = self._table(lines, index)
                continue
            if _REFERENCE.match(line) and not self.paragraph:
                index += 1
                continue
            item = _LIST.match(line)
            if item and (item.group("rest") or "").strip():
                if self.paragraph:
                    self.flush()
                rest = _TASK.sub("", item.group("rest").strip())
                marker = item.group("marker")
                self.items.append([f"{marker} {rest}" if marker[0].isdigit() else rest])
            elif self.items:
                self.items[-1].append(line)  # continuation (indented or lazy) of the item
            else:
                if not self.paragraph:
                    self.paragraph_line = number
                self.paragraph.append(line)
            index += 1
        self.flush()

    def _heading(self, raw: str, level: int, line: int | None) -> None:
        raw = _ATX_CLOSE.sub("", raw.strip())
        anchor = None
        custom = _HEADING_ID.search(raw)
        if custom:
            anchor = custom.group(1)
            raw = raw[: custom.start()]
        self.out.heading(
            tidy_line(strip_inline(raw), join_cjk=False), level, anchor=anchor, line=line
        )

    def _code(self, lines: list[str], index: int, fence: str) -> int:
        body: list[str] = []
        while index < len(lines) and not lines[index].lstrip().startswith(fence):
            body.append(lines[index].rstrip())
            index += 1
        self.out.block("\n".join(body))
        return index + 1

    def _table(self, lines: list[str], index: int) -> int:
        self.out.end_block()
        header = lines[index]
        index += 2
        rows = [header]
        while index < len(lines) and "|" in lines[index] and lines[index].strip():
            rows.append(lines[index])
            index += 1
        for row in rows:
            cells = [
                tidy_line(strip_inline(c), join_cjk=False)
                for c in row.strip().strip("|").split("|")
            ]
            self.out.line(" | ".join(c for c in cells if c))
        self.out.end_block()
        return index


def parse_markdown(source: str) -> tuple[str | None, str, list[Section]]:
    """``(title, plain text, sections)`` of a Markdown document.

    The title is the front-matter ``title``, else the first heading, else None.
    """
    source = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), source)
    lines = source.split("\n")
    skip, title = _front_matter(lines)
    reader = _Reader()
    reader.read(lines[skip:], skip + 1)
    text, sections = reader.out.build()
    return title or reader.out.first_heading, text, sections
