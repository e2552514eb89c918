"""Knowledge-base ingestion: help documents in, passages with headings and positions out.

``load_document`` reads a Markdown, text, HTML, PDF or Word file into a ``ParsedDocument``
(plain text plus the heading tree as ``Section`` spans); ``split_passages`` cuts it into
``Passage``s that never cross a heading and never cut a sentence; ``load_kb`` does both over
files and folders, and ``passages_from_kb`` over a bot project's ``KbDocument``s. Every
offset is into ``ParsedDocument.text``, so the retrieval layer can highlight a hit and link it
back as ``path#anchor`` (``#page=N`` for a PDF).
"""

from __future__ import annotations

from aimass.kb.document import CJK_WEIGHT, ParsedDocument, Passage, Section, slugify, text_size
from aimass.kb.loader import (
    KB_FORMATS,
    UnreadableDocuments,
    from_kb_document,
    load_document,
    load_kb,
    parse_document,
    parse_kb_document,
    passages_from_kb,
    read_kb,
)
from aimass.kb.passages import split_passages

__all__ = [
    "CJK_WEIGHT",
    "KB_FORMATS",
    "ParsedDocument",
    "Passage",
    "Section",
    "UnreadableDocuments",
    "from_kb_document",
    "load_document",
    "load_kb",
    "parse_document",
    "parse_kb_document",
    "passages_from_kb",
    "read_kb",
    "slugify",
    "split_passages",
    "text_size",
]
