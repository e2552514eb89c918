"""The records of knowledge-base ingestion: a parsed document, its sections, its passages.

A ``ParsedDocument`` is the plain text of one help document (Markdown syntax, HTML tags and
PDF layout removed) with its heading structure laid over it as ``Section`` spans; a
``Passage`` is a slice of that text small enough to embed and show. Every span is an offset
into ``ParsedDocument.text``, so a search hit can be highlighted and linked back to its
document, section (``path#anchor``) and page without keeping a second copy of anything.

These are frozen dataclasses with slots rather than pydantic records: a retrieval index may
hold a million passages, and they are built by our own code, not read from users.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CJK_WEIGHT",
    "ParsedDocument",
    "Passage",
    "Section",
    "slugify",
    "text_size",
]

# A CJK character carries about as much as two or three Latin letters and costs a multilingual
# tokenizer about as many tokens, so it counts twice: a 350-unit passage is ~170 Chinese
# characters or ~60 English words, about the same number of model tokens either way.
CJK_WEIGHT = 2
_CJK = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    r"\U00020000-\U0002ebef]"
)
_WHITESPACE_RUN = re.compile(r"\s{2,}")
_ESCAPE_MARK = re.compile(r"(?m)^([#\\])")


def text_size(text: str) -> int:
    """The size of ``text`` in passage units: CJK characters count ``CJK_WEIGHT``, others one.

    Runs of whitespace count once, so the layout of a passage does not change its size.
    """
    collapsed = _WHITESPACE_RUN.sub(" ", text)
    return len(collapsed) + (CJK_WEIGHT - 1) * len(_CJK.findall(collapsed))


def slugify(heading: str) -> str:
    """The anchor GitHub/GitLab give a heading: lower case, punctuation dropped, spaces to '-'.

    Letters and digits of every script are kept, so ``退货政策 / Returns`` becomes
    ``退货政策--returns`` and a link ``kb/returns.md#退货政策--returns`` lands on the heading
    when the Markdown file is viewed on those sites.
    """
    kept = []
    for char in unicodedata.normalize("NFC", heading.strip().lower()):
        if char == " ":
            kept.append("-")
        elif char in "-_" or unicodedata.category(char)[0] in "LNM":
            kept.append(char)
    return "".join(kept)


@dataclass(frozen=True, slots=True)
class Section:
    """The body of one heading: ``text[start:end]`` of the document, headings excluded.

    ``heading_path`` runs from the top-level heading down to this one (empty for text before
    the first heading); ``anchor`` is the fragment that links to it (the heading's slug, an
    HTML ``id``, or ``page=N`` for a PDF page); ``line`` is the 1-based line of the heading in
    the source file where the format has lines (Markdown, text).
    """

    heading_path: list[str]
    anchor: str
    start: int
    end: int
    page: int | None = None
    level: int = 0
    line: int | None = None

    @property
    def heading(self) -> str:
        return self.heading_path[-1] if self.heading_path else ""


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """One knowledge-base document as plain text with its heading structure."""

    doc_id: str
    title: str
    format: str  # md | txt | html | pdf | docx
    path: str  # relative to the project root, '/'-separated
    text: str
    sections: list[Section] = field(default_factory=list)
    language: str | None = None

    def to_marked_text(self) -> str:
        """The text with its structure written in: ``## heading {#anchor}`` lines, and a form
        feed between PDF pages.

        What the data layer stores as ``KbDocument.text`` for HTML, PDF and Word, so that a
        ``KbDocument`` without its file (in a trained artifact, or edited through the API)
        still splits into the same passages (``from_kb_document`` reads it back).
        """
        headed = [s.level for s in self.sections if s.heading_path]
        shift = 1 - min(headed) if headed else 0
        pages: list[list[str]] = [[]]
        first_page = next((s.page for s in self.sections if s.page is not None), None)
        for section in self.sections:
            if section.page is not None and first_page is not None:
                while len(pages) < section.page:
                    pages.append([])  # pages without text keep their place
            blocks = pages[-1]
            if section.heading_path:
                mark = "#" * min(6, max(1, section.level + shift))
                line = f"{mark} {section.heading}"
                if section.anchor != slugify(section.heading):
                    line += f" {{#{section.anchor}}}"
                blocks.append(line)
            body = self.text[section.start : section.end]
            if body:
                blocks.append(_ESCAPE_MARK.sub(r"\\\1", body))
        return "\f".join("\n\n".join(blocks) for blocks in pages)

    def section_at(self, offset: int) -> Section | None:
        """The section whose body holds ``offset`` (None for a heading line or outside)."""
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        return None


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrievable slice of a document: ``text == document.text[start:end]``.

    ``passage_id`` is ``"{doc_id}#{n}"`` (n counts from 0 in document order), stable while the
    document is unchanged; ``digest`` hashes the text, so an index updating a changed document
    can tell which passages really changed.
    """

    passage_id: str
    doc_id: str
    title: str
    heading_path: list[str]
    anchor: str
    text: str
    start: int
    end: int
    page: int | None = None
    path: str = ""
    digest: str = ""
    language: str | None = None  # zh | en, of this passage (a bilingual document has both)

    @property
    def link(self) -> str:
        """``path#anchor`` (or the bare path for text before the first heading)."""
        target = self.path or self.doc_id
        return f"{target}#{self.anchor}" if self.anchor else target

    @property
    def context(self) -> str:
        """Title and headings, e.g. ``退货退款政策 › 中文 › 七天无理由退货``.

        Headings are not part of ``text``; an index should embed/index ``context`` together
        with ``text`` so a question that names only the section still finds the passage.
        """
        parts = [self.title]
        for heading in self.heading_path:
            if heading != parts[-1]:
                parts.append(heading)
        return " › ".join(p for p in parts if p)

    def sentence_spans(self) -> list[tuple[int, int]]:
        """Sentence spans relative to ``text`` (for highlighting the best sentence)."""
        from aimass.text.sentences import split_sentences

        return split_sentences(self.text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passage_id": self.passage_id,
            "doc_id": self.doc_id,
            "title": self.title,
            "heading_path": list(self.heading_path),
            "anchor": self.anchor,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "page": self.page,
            "path": self.path,
            "digest": self.digest,
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        return cls(
            passage_id=str(data["passage_id"]),
            doc_id=str(data["doc_id"]),
            title=str(data.get("title", "")),
            heading_path=[str(h) for h in data.get("heading_path", [])],
            anchor=str(data.get("anchor", "")),
            text=str(data["text"]),
            start=int(data["start"]),
            end=int(data["end"]),
            page=None if data.get("page") is None else int(data["page"]),
            path=str(data.get("path", "")),
            digest=str(data.get("digest", "")),
            language=None if data.get("language") is None else str(data["language"]),
        )


def digest_of(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()
