"""Reading knowledge-base files into ``ParsedDocument``s, one format reader per suffix.

Every failure a user can cause is a coded error naming the file, never a traceback:

* AM101 (``ProjectError``): the text file is not UTF-8; the project's own encoding check
  (``aimass.data.encoding``) says so and names GBK when the bytes decode as GBK;
* AM720 the document has no text; AM721 a PDF without extractable text (a scan);
  AM722 corrupt/unparseable; AM723 encrypted; AM724 unsupported type; AM725 missing or
  unreadable file (``RetrievalError``).

beautifulsoup4, pypdf and python-docx (the ``aimass[kb]`` extra) are imported only when an
HTML, PDF or Word file is read; without them that file raises ``MissingDependency`` (AM900).

``read_kb``/``load_kb`` walk files and folders for callers outside a bot project;
inside one, the data layer (``aimass.data.readers.kb``) reads each file with
``load_document``/``parse_document`` and reports failures as validation problems, and
``passages_from_kb`` turns the project's ``KbDocument``s into passages.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from aimass.data.encoding import decode_text
from aimass.data.language import language_of
from aimass.errors import (
    AimassError,
    MissingDependency,
    Problem,
    ProjectError,
    RetrievalError,
    Severity,
)
from aimass.kb.document import ParsedDocument, Passage, Section
from aimass.schemas.project import KbDocument

__all__ = [
    "KB_FORMATS",
    "UnreadableDocuments",
    "from_kb_document",
    "load_document",
    "load_kb",
    "parse_document",
    "parse_kb_document",
    "passages_from_kb",
    "read_kb",
]

log = logging.getLogger(__name__)

KB_FORMATS: dict[str, str] = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
_TEXT_FORMATS = ("md", "txt", "html")
_EXTRA = {"html": "beautifulsoup4", "pdf": "pypdf", "docx": "python-docx"}
_LOOKS_LIKE_HTML = re.compile(r"<(?:html|body|p|div|h[1-6]|ul|table)\b", re.IGNORECASE)


class UnreadableDocuments(RetrievalError):
    """AM726: some knowledge-base files could not be read; ``problems`` lists each."""

    default_code = "AM726"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        listed = "; ".join(str(p) for p in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(
            f"{len(problems)} knowledge-base file(s) could not be read: {listed}{more}",
            hint="fix or remove them, or load with strict=False to skip them",
        )


def _display_path(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def load_document(
    path: str | Path, *, root: str | Path | None = None, doc_id: str | None = None
) -> ParsedDocument:
    """Read one md/txt/html/pdf/docx file; ``path``/``doc_id`` default to it relative to root."""
    path = Path(path)
    root_path = Path(root) if root is not None else None
    if root_path is not None and not path.is_absolute() and (root_path / path).exists():
        path = root_path / path  # relative to the project root first, else to the cwd
    file = _display_path(path, root_path)
    kind = KB_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise RetrievalError(
            f"unsupported knowledge-base file type {path.suffix or '(none)'!r}",
            code="AM724",
            file=file,
            hint=f"use one of {', '.join(sorted(KB_FORMATS))}",
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RetrievalError("file not found", code="AM725", file=file) from None
    except OSError as err:
        raise RetrievalError(
            f"file cannot be read: {err.strerror or err}", code="AM725", file=file
        ) from None
    if kind in _TEXT_FORMATS:
        text, problem = decode_text(data, file)
        if text is None:
            raise _encoding_error(problem, file)
        return parse_document(text, kind, doc_id=doc_id or file, path=file, name=path.stem)
    if kind == "pdf":
        _require("pypdf", kind)
        from aimass.kb.pdf import parse_pdf

        reader: Callable[[bytes, str], tuple[str | None, str, list[Section]]] = parse_pdf
    else:
        _require("docx", kind)
        from aimass.kb.wordfile import parse_docx

        reader = parse_docx
    title, text, sections = reader(data, file)
    return _finish(doc_id or file, title, kind, file, text, sections, name=path.stem)


def parse_document(
    text: str,
    format: str,
    *,
    doc_id: str,
    path: str = "",
    title: str | None = None,
    name: str | None = None,
) -> ParsedDocument:
    """Parse already-decoded md/txt/html text; ``title`` overrides the one found in it.

    ``name`` (the file name without suffix) is the title when the text has none.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    file = path or doc_id
    if format == "md":
        from aimass.kb.markdown import parse_markdown

        found, plain, sections = parse_markdown(text)
    elif format == "txt":
        from aimass.kb.plaintext import parse_plaintext

        found, plain, sections = parse_plaintext(text)
    elif format == "html":
        _require("bs4", "html")
        from aimass.kb.htmlpage import parse_html

        try:
            found, plain, sections = parse_html(text)
        except RecursionError as err:
            raise RetrievalError(
                "HTML is nested too deeply to read",
                code="AM722",
                file=file,
                hint="simplify the page, or export it as .txt/.md",
            ) from err
    else:
        raise RetrievalError(
            f"cannot parse {format!r} text (only md, txt and html are text formats)",
            code="AM724",
            file=file,
        )
    return _finish(doc_id, title or found, format, file, plain, sections, name=name)


def _finish(
    doc_id: str,
    title: str | None,
    format: str,
    path: str,
    text: str,
    sections: list[Section],
    *,
    name: str | None,
) -> ParsedDocument:
    if not text.strip():
        raise RetrievalError(
            "knowledge-base document has no text",
            code="AM720",
            file=path,
            hint="add content, or remove the file",
        )
    if not any(s.end > s.start for s in sections):
        # Headings and nothing under them: the headings are the content.
        sections = [Section([], "", 0, len(text))]
    fallback = name or Path(path or doc_id).stem or doc_id
    return ParsedDocument(
        doc_id=doc_id,
        title=" ".join((title or "").split()) or fallback,
        format=format,
        path=path,
        text=text,
        sections=sections,
        language=language_of(text[:4000]),
    )


def from_kb_document(document: KbDocument) -> ParsedDocument:
    """The ``ParsedDocument`` of a ``KbDocument`` (as the data layer read it, or as edited).

    The stored text is the truth (a document edited through the service has no file that
    matches it): Markdown and plain text carry their headings in it; HTML that still has its
    tags is parsed as HTML; the text the data layer stores for HTML, PDF and Word
    (``ParsedDocument.to_marked_text``: ``#`` heading lines, form feeds between pages) is read
    back exactly, so the passages are the same as from the file.
    """
    kind = document.format
    if kind in ("md", "txt") or (kind == "html" and _LOOKS_LIKE_HTML.search(document.text)):
        return parse_document(
            document.text,
            kind,
            doc_id=document.id,
            path=document.path,
            title=document.title or None,
        )
    from aimass.kb.plaintext import parse_marked_text

    marked = document.text.replace("\r\n", "\n")
    _, text, sections = parse_marked_text(marked, paged=kind == "pdf")
    return _finish(document.id, document.title, kind, document.path, text, sections, name=None)


# The name the retrieval layer uses.
parse_kb_document = from_kb_document


def passages_from_kb(
    documents: Iterable[KbDocument],
    *,
    max_chars: int = 350,
    min_chars: int = 40,
    overlap_sentences: int = 1,
) -> list[Passage]:
    """Every passage of a bot project's knowledge base (``project.kb``)."""
    from aimass.kb.passages import split_passages

    passages: list[Passage] = []
    for document in documents:
        parsed = from_kb_document(document)
        passages.extend(
            split_passages(
                parsed,
                max_chars=max_chars,
                min_chars=min_chars,
                overlap_sentences=overlap_sentences,
            )
        )
    return passages


def read_kb(
    project_root: str | Path, kb_paths: Sequence[str | Path] = ("kb",)
) -> tuple[list[ParsedDocument], list[Problem]]:
    """Read every KB file under ``kb_paths`` (files or folders, relative to the root).

    Carries on past unreadable files: each is a ``Problem`` with its code. Inside folders,
    hidden files and files of other types are skipped (folders often hold READMEs and images);
    a listed file of another type is an AM724 problem.
    """
    root = Path(project_root)
    documents: list[ParsedDocument] = []
    problems: list[Problem] = []
    for file in _kb_files(root, kb_paths, problems):
        try:
            documents.append(load_document(file, root=root))
        except MissingDependency:
            raise
        except AimassError as err:
            problems.append(
                Problem(
                    err.code,
                    err.message,
                    file=err.file or _display_path(file, root),
                    line=err.line,
                    hint=err.hint,
                )
            )
    return documents, problems


def load_kb(
    project_root: str | Path,
    kb_paths: Sequence[str | Path] = ("kb",),
    *,
    strict: bool = True,
    max_chars: int = 350,
    min_chars: int = 40,
    overlap_sentences: int = 1,
) -> list[Passage]:
    """The passages of every KB file under ``kb_paths``.

    ``strict`` (default): any unreadable file raises ``UnreadableDocuments`` (AM726) listing
    all of them, after every file was tried. ``strict=False`` logs them and returns the
    passages of the readable files.
    """
    from aimass.kb.passages import split_passages

    documents, problems = read_kb(project_root, kb_paths)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors and strict:
        raise UnreadableDocuments(errors)
    for problem in problems:
        log.warning("skipped: %s", problem)
    passages: list[Passage] = []
    for document in documents:
        passages.extend(
            split_passages(
                document,
                max_chars=max_chars,
                min_chars=min_chars,
                overlap_sentences=overlap_sentences,
            )
        )
    return passages


def _kb_files(root: Path, entries: Sequence[str | Path], problems: list[Problem]) -> list[Path]:
    files: list[Path] = []
    seen: set[Path] = set()
    for entry in entries:
        path = Path(entry) if Path(entry).is_absolute() else root / entry
        if path.is_dir():
            candidates = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in KB_FORMATS
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            if path.suffix.lower() not in KB_FORMATS:
                problems.append(
                    Problem(
                        "AM724",
                        f"unsupported knowledge-base file type {path.suffix or '(none)'!r}",
                        file=_display_path(path, root),
                        hint=f"use one of {', '.join(sorted(KB_FORMATS))}",
                    )
                )
                continue
            candidates = [path]
        else:
            problems.append(
                Problem("AM725", "file or folder not found", file=_display_path(path, root))
            )
            continue
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append(candidate)
    return files


def _encoding_error(problem: Problem | None, file: str) -> ProjectError:
    """The data layer's AM101 (names GBK when the bytes decode as GBK) as an exception."""
    if problem is None:  # decode_text always explains a failure; keep a message regardless
        return ProjectError("file cannot be decoded as UTF-8", code="AM101", file=file)
    return ProjectError(
        problem.message, code=problem.code, hint=problem.hint, file=problem.file, line=problem.line
    )


def _require(module: str, kind: str) -> None:
    """Import ``module`` now, so a missing extra is AM900 and not an ImportError later."""
    try:
        importlib.import_module(module)
    except ImportError as err:
        raise _missing(kind) from err


def _missing(kind: str) -> MissingDependency:
    return MissingDependency(
        f"reading this knowledge-base file needs {_EXTRA.get(kind, kind)!r}, "
        "which is not installed",
        code="AM900",
        hint="pip install 'aimass[kb]'",
    )
