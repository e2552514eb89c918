"""PDF to plain text, one section per page (pypdf).

PDFs carry no reliable heading structure (outlines are optional and font sizes are guesses),
so each page is a section linked as ``#page=N`` (what browsers' PDF viewers open) and
passages never run across a page break. Lines that the layout wrapped are joined back: a line
that does not end a sentence runs on when the next starts in lower case, or when both sides
are Chinese characters (Chinese wraps anywhere).

A PDF whose pages hold no text at all is almost always a scan: AM721 says so, instead of a
silently empty document.
"""

from __future__ import annotations

import io
import re

from aimass.errors import RetrievalError
from aimass.kb.builder import DocumentBuilder, tidy_line
from aimass.kb.document import Section

__all__ = ["parse_pdf"]

_ENDS = tuple("。！？；.!?;:：")
# Titles that PDF writers fill in by themselves: not the author's, so the file name is better.
_JUNK_TITLE = re.compile(
    r"^(?:microsoft (?:word|powerpoint|excel) - .*|untitled.*|无标题.*|document\d*|\S+\.(?:docx?|pptx?|xlsx?|pdf|tmp))$",
    re.IGNORECASE,
)


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x2E80 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF


def _unwrap(page_text: str) -> list[str]:
    """The page's paragraphs (blank-line separated), wrapped lines joined back."""
    paragraphs: list[str] = []
    current = ""
    for raw in page_text.split("\n"):
        line = tidy_line(raw)
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if not current:
            current = line
        elif current.endswith(_ENDS):
            current += "\n" + line
        elif _is_cjk(current[-1]) and _is_cjk(line[0]):
            current += line
        elif line[0].islower() or current.endswith((",", "，", "、", "-")):
            current += ("" if current.endswith("-") else " ") + line
        else:
            current += "\n" + line
    if current:
        paragraphs.append(current)
    return paragraphs


def parse_pdf(data: bytes, file: str) -> tuple[str | None, str, list[Section]]:
    """``(title from metadata or None, plain text, sections)`` of a PDF's bytes."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _decrypts(reader):
            raise RetrievalError(
                "PDF is encrypted (password-protected)",
                code="AM723",
                file=file,
                hint="save an unprotected copy of the PDF, or export it as .txt/.md",
            )
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
        title = str(meta.title).strip() if meta is not None and meta.title else None
        if title and _JUNK_TITLE.match(title):
            title = None
    except RetrievalError:
        raise
    except Exception as err:  # pypdf raises many types for broken files; all mean "unreadable"
        raise RetrievalError(
            f"PDF cannot be read ({type(err).__name__}: {err})",
            code="AM722",
            file=file,
            hint="re-export the PDF, or convert it to .txt/.md",
        ) from err
    if not any(page.strip() for page in pages):
        raise RetrievalError(
            f"PDF has {len(pages)} page(s) but no extractable text; it is probably a scanned image",
            code="AM721",
            file=file,
            hint="run OCR on it first (e.g. ocrmypdf), or add a .txt/.md version of its text",
        )
    out = DocumentBuilder()
    for number, page_text in enumerate(pages, start=1):
        out.page(number)
        for paragraph in _unwrap(page_text):
            out.block(paragraph)
    text, sections = out.build()
    return title or None, text, sections


def _decrypts(reader: object) -> bool:
    """Many PDFs are 'encrypted' with an empty user password (copy protection only)."""
    try:
        return bool(reader.decrypt(""))  # type: ignore[attr-defined]
    except Exception:
        return False
