"""Knowledge-base documents: Markdown, plain text, HTML, PDF and Word (.docx).

Each file is parsed by ``aimass.kb`` (the retrieval layer's ingestion), so validation and
retrieval agree on what a document holds. The title is the Markdown front-matter title or
first heading, the text file's first line when it stands alone as a title, the HTML
``<title>`` (else the first ``<h1>``), the PDF's or Word file's title property, or else the
file name without its extension. The text kept in ``KbDocument`` is Markdown and plain text as
written (so exporting a project writes them back unchanged) and, for HTML, PDF and Word, the
plain text ``aimass.kb`` extracts with its structure marked (``## heading`` lines, a form feed
between PDF pages), so the document splits into the same passages without its file.

pypdf, beautifulsoup4 and python-docx are the ``aimass[kb]`` extra and are imported only when
such a file is read; without them reading it raises ``MissingDependency`` (the install is
missing, not the data wrong). A corrupt, encrypted, scanned (no text) or empty document is an
AM115 problem and is skipped; the rest of the knowledge base still loads.
"""

from __future__ import annotations

import re
from pathlib import Path

from aimass.data.encoding import read_text
from aimass.data.readers.base import relpath
from aimass.errors import AimassError, MissingDependency, Problem
from aimass.schemas.project import KbDocument

__all__ = ["KB_SUFFIXES", "read_kb_document"]

KB_SUFFIXES: dict[str, str] = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
_BLANKS = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


def read_kb_document(path: Path, root: Path) -> tuple[KbDocument | None, list[Problem]]:
    """Read one document; ``(None, problems)`` when it is unreadable or empty."""
    from aimass.kb.loader import load_document, parse_document

    file = relpath(path, root)
    kind = KB_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        return None, [Problem("AM116", f"unsupported file type {path.suffix!r}", file=file)]
    raw: str | None = None
    try:
        if kind in ("md", "txt"):
            raw, problems = read_text(path, file)
            if raw is None:
                return None, problems
            raw = _BLANKS.sub("\n\n", raw).strip()
            parsed = parse_document(raw, kind, doc_id=file, path=file, name=path.stem)
        else:
            parsed = load_document(path, root=root, doc_id=file)
    except MissingDependency:
        raise
    except AimassError as err:
        # The loader's specific AM72x codes are AM115 here ("empty or unreadable"); its
        # message says which (no text, a scanned PDF, corrupt, encrypted).
        code = err.code if err.code.startswith("AM1") else "AM115"
        return None, [Problem(code, err.message, file=file, line=err.line, hint=err.hint)]
    return KbDocument(
        id=file,
        title=parsed.title,
        text=raw if raw is not None else parsed.to_marked_text(),
        format=kind,
        path=file,
        language=parsed.language,
    ), []
