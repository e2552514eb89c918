"""Knowledge-base documents: Markdown, plain text, HTML and PDF.

The title is the first Markdown heading, the HTML ``<title>`` (else the first ``<h1>``), the
PDF's title metadata, or else the file name without its extension. The text is what the
retrieval layer splits into passages: Markdown and plain text as written, HTML without tags,
scripts and styles, PDF page texts joined by blank lines.

pypdf and beautifulsoup4 are the ``aimass[kb]`` extra and are imported only when a PDF or
HTML file is read; without them reading such a file raises ``MissingDependency`` (the install
is missing, not the data wrong). A corrupt, encrypted or empty document is an AM115 problem
and is skipped; the rest of the knowledge base still loads.
"""

from __future__ import annotations

import re
from pathlib import Path

from aimass.data.encoding import read_text
from aimass.data.language import language_of
from aimass.data.readers.base import relpath
from aimass.errors import MissingDependency, Problem
from aimass.schemas.project import KbDocument

__all__ = ["KB_SUFFIXES", "read_kb_document"]

KB_SUFFIXES: dict[str, str] = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]+(?P<title>.+?)[ \t#]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BLANKS = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


def read_kb_document(path: Path, root: Path) -> tuple[KbDocument | None, list[Problem]]:
    """Read one document; ``(None, problems)`` when it is unreadable or empty."""
    file = relpath(path, root)
    kind = KB_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        return None, [Problem("AM116", f"unsupported file type {path.suffix!r}", file=file)]
    if kind == "pdf":
        title, text, problems = _read_pdf(path, file)
    else:
        raw, problems = read_text(path, file)
        if raw is None:
            return None, problems
        title, text = _read_html(raw) if kind == "html" else (_markdown_title(raw), raw)
    if text is None:
        return None, problems
    text = _BLANKS.sub("\n\n", text).strip()
    if not text:
        return None, [
            *problems,
            Problem(
                "AM115",
                "knowledge-base document has no text",
                file=file,
                hint="add content, or remove the file (a scanned PDF needs OCR first)",
            ),
        ]
    return KbDocument(
        id=file,
        title=(title or "").strip() or path.stem,
        text=text,
        format=kind,
        path=file,
        language=language_of(text[:4000]),
    ), problems


def _markdown_title(text: str) -> str | None:
    lines = text.split("\n")
    for index, line in enumerate(lines):
        match = _ATX.match(line)
        if match:
            return match.group("title").strip()
        if (
            index + 1 < len(lines)
            and line.strip()
            and _SETEXT.match(lines[index + 1])
            and not line.startswith((" " * 4, "\t"))
        ):
            return line.strip()
    return None


def _read_html(raw: str) -> tuple[str | None, str]:
    try:
        from bs4 import BeautifulSoup
    except ImportError as err:
        raise _missing("beautifulsoup4") from err
    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    title = None
    if soup.title is not None and soup.title.get_text(strip=True):
        title = soup.title.get_text(" ", strip=True)
    elif (h1 := soup.find("h1")) is not None:
        title = h1.get_text(" ", strip=True)
    body = soup.body if soup.body is not None else soup
    return title, body.get_text("\n")


def _read_pdf(path: Path, file: str) -> tuple[str | None, str | None, list[Problem]]:
    try:
        from pypdf import PdfReader
    except ImportError as err:
        raise _missing("pypdf") from err
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            return (
                None,
                None,
                [
                    Problem(
                        "AM115",
                        "PDF is encrypted",
                        file=file,
                        hint="save an unprotected copy of the PDF",
                    )
                ],
            )
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
        title = meta.title if meta is not None else None
    except Exception as err:  # pypdf raises many types for broken files; all mean "unreadable"
        return (
            None,
            None,
            [
                Problem(
                    "AM115",
                    f"PDF cannot be read ({type(err).__name__}: {err})",
                    file=file,
                    hint="re-export the PDF, or convert it to .txt/.md",
                )
            ],
        )
    return (str(title) if title else None), "\n\n".join(p.strip() for p in pages), []


def _missing(package: str) -> MissingDependency:
    return MissingDependency(
        f"reading this knowledge-base file needs {package!r}, which is not installed",
        code="AM900",
        hint="pip install 'aimass[kb]'",
    )
