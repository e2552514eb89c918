"""Word ``.docx`` to plain text with its heading structure (python-docx).

Paragraphs in the built-in ``Heading 1``-``Heading 9`` styles (``标题 1`` in a Chinese Word)
are headings and the ``Title`` style is the document title (level 0, above the h1s); list
paragraphs get a line each inside one block; other paragraphs are blocks; tables are read in
body order, a row a line with cells joined by `` | ``. The title is the core property
``title``, else the Title paragraph, else the first heading.
"""

from __future__ import annotations

import io
import re
from typing import Any

from aimass.errors import RetrievalError
from aimass.kb.builder import DocumentBuilder, tidy_line
from aimass.kb.document import Section

__all__ = ["parse_docx"]

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _style_name(paragraph: Any) -> str:
    try:
        style = paragraph.style
    except Exception:  # a style id the document does not define
        return ""
    return str(style.name or "") if style is not None else ""


def parse_docx(data: bytes, file: str) -> tuple[str | None, str, list[Section]]:
    """``(title or None, plain text, sections)`` of a ``.docx`` file's bytes."""
    if data.startswith(_OLE_MAGIC):
        raise RetrievalError(
            "file is an encrypted .docx or an old binary Word (.doc) document",
            code="AM723",
            file=file,
            hint="remove the password, or save it in Word as .docx (Word 2007 or later)",
        )
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(data))
        title = (document.core_properties.title or "").strip() or None
        out = DocumentBuilder()
        for child in document.element.body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                paragraph = Paragraph(child, document)
                text = tidy_line(paragraph.text, join_cjk=False)
                if not text:
                    continue
                style = _style_name(paragraph)
                heading = _HEADING_STYLE.match(style)
                if heading:
                    out.heading(text, int(heading.group(1)))
                elif style == "Title":
                    title = title or text
                    out.heading(text, 0)
                elif style.startswith("List") or _is_numbered(paragraph):
                    out.line(text)
                else:
                    out.block(text)
            elif tag == "tbl":
                out.end_block()
                for row in Table(child, document).rows:
                    cells: list[str] = []
                    for cell in row.cells:
                        value = tidy_line(cell.text, join_cjk=False)
                        if value and (not cells or cells[-1] != value):  # merged cells repeat
                            cells.append(value)
                    out.line(" | ".join(cells))
                out.end_block()
    except RetrievalError:
        raise
    except Exception as err:  # zip, XML and package errors all mean "not a readable docx"
        raise RetrievalError(
            f"Word document cannot be read ({type(err).__name__}: {err})",
            code="AM722",
            file=file,
            hint="open it in Word and save it again as .docx, or export it as .txt/.md",
        ) from err
    text, sections = out.build()
    return title or out.first_heading, text, sections


def _is_numbered(paragraph: Any) -> bool:
    """A paragraph in a numbered/bulleted list without a List style (``w:numPr``)."""
    properties = paragraph._p.pPr
    return properties is not None and properties.numPr is not None
