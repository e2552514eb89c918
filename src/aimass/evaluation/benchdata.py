"""Readers and writers for the benchmark JSONL formats (``../shared/data``), and dev splitting.

The formats are those of ``shared/data/README.md``:

=========================  ===============================================
intent                     ``{"text": str, "label": str}`` (``"oos"`` = out of scope)
question matching          ``{"text_a": str, "text_b": str, "label": 0 | 1}``
FAQ bank                   ``{"id": str, "question": str, "answer": str}``
FAQ queries                ``{"text": str, "faq_id": str}``
=========================  ===============================================

Bad files fail with a coded :class:`~aimass.errors.ProjectError` naming the file and line:
AM101 (not UTF-8), AM102 (a line is not a JSON object), AM103 (a field is missing or of the
wrong type), AM113 (an empty text), AM109 (duplicate FAQ id), AM119 (a query names an FAQ id the
bank does not have). Unknown extra fields are ignored, since exports often carry ids or
metadata a benchmark does not use.

Texts lose leading byte-order marks and zero-width characters: SMP2017 has texts that start
with "\\ufeff", which would otherwise become a token of their own and differ from the same
text typed by a user. Nothing else is normalised here; that is the model's job.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from aimass.errors import ProjectError

__all__ = [
    "FaqEntry",
    "FaqQuery",
    "IntentExample",
    "PairExample",
    "clean_text",
    "read_faq_bank",
    "read_faq_queries",
    "read_intent",
    "read_match",
    "split_half",
    "write_jsonl",
]

# BOM, zero-width space / non-joiner / joiner, word joiner, and the Mongolian vowel separator
# that older Unicode treated as a space: all invisible, all seen at the start of scraped text.
_INVISIBLE_LEAD = "\ufeff\u200b\u200c\u200d\u2060\u180e"


@dataclass(frozen=True)
class IntentExample:
    """One user message and its intent label."""

    text: str
    label: str


@dataclass(frozen=True)
class PairExample:
    """Two questions and whether they mean the same (1) or not (0)."""

    text_a: str
    text_b: str
    label: int


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ of the bank: its canonical question and the answer."""

    id: str
    question: str
    answer: str


@dataclass(frozen=True)
class FaqQuery:
    """A user's wording and the id of the FAQ that answers it."""

    text: str
    faq_id: str


R = TypeVar("R")


def clean_text(text: str) -> str:
    """Drop invisible characters (BOM, zero-width) at the start of a text."""
    return text.lstrip(_INVISIBLE_LEAD)


def _iter_objects(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line, with coded errors."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ProjectError(
            f"file not found: {p}", code="AM104", file=str(p), hint="check the path"
        ) from None
    # A BOM at the start of the file is legal UTF-8 and common from Windows editors.
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for lineno, line in enumerate(raw.split(b"\n"), start=1):
        try:
            s = line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ProjectError(
                f"line is not valid UTF-8 (byte {e.start}: {line[e.start : e.start + 4]!r})",
                code="AM101",
                file=str(p),
                line=lineno,
                hint="save the file as UTF-8 (e.g. `iconv -f GB18030 -t UTF-8`)",
            ) from None
        if not s.strip():
            continue
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as e:
            raise ProjectError(
                f"line is not valid JSON: {e.msg} (column {e.colno})",
                code="AM102",
                file=str(p),
                line=lineno,
                hint='each line must be one JSON object, e.g. {"text": "...", "label": "..."}',
            ) from None
        if not isinstance(obj, dict):
            raise ProjectError(
                f"line is a JSON {type(obj).__name__}, not an object",
                code="AM102",
                file=str(p),
                line=lineno,
                hint="each line must be one JSON object",
            )
        yield lineno, obj


def _field_str(obj: dict[str, Any], key: str, path: str | Path, line: int, *, text: bool) -> str:
    if key not in obj:
        raise ProjectError(
            f"missing field {key!r} (fields present: {sorted(obj)})",
            code="AM103",
            file=str(path),
            line=line,
            hint=f"add a {key!r} field to every line",
        )
    value = obj[key]
    if not isinstance(value, str):
        raise ProjectError(
            f"field {key!r} must be a string, got {type(value).__name__}",
            code="AM103",
            file=str(path),
            line=line,
        )
    if text:
        value = clean_text(value)
    if not value.strip():
        raise ProjectError(
            f"field {key!r} is empty",
            code="AM113",
            file=str(path),
            line=line,
            hint="remove the line or fill in the text",
        )
    return value


def _read(path: str | Path, build: Callable[[dict[str, Any], int], R]) -> list[R]:
    return [build(obj, line) for line, obj in _iter_objects(path)]


def read_intent(path: str | Path) -> list[IntentExample]:
    """Read an intent file: ``{"text", "label"}`` per line."""
    return _read(
        path,
        lambda o, ln: IntentExample(
            text=_field_str(o, "text", path, ln, text=True),
            label=_field_str(o, "label", path, ln, text=False),
        ),
    )


def _pair_label(obj: dict[str, Any], path: str | Path, line: int) -> int:
    if "label" not in obj:
        raise ProjectError(
            "missing field 'label'",
            code="AM103",
            file=str(path),
            line=line,
            hint='add "label": 0 or 1 to every line',
        )
    value = obj["label"]
    # Accept "0"/"1" as well: TSV-to-JSON conversions often keep labels as strings.
    if isinstance(value, bool) or value not in (0, 1, "0", "1"):
        raise ProjectError(
            f"field 'label' must be 0 or 1, got {value!r}",
            code="AM103",
            file=str(path),
            line=line,
        )
    return int(value)


def read_match(path: str | Path) -> list[PairExample]:
    """Read a question-matching file: ``{"text_a", "text_b", "label"}`` per line."""
    return _read(
        path,
        lambda o, ln: PairExample(
            text_a=_field_str(o, "text_a", path, ln, text=True),
            text_b=_field_str(o, "text_b", path, ln, text=True),
            label=_pair_label(o, path, ln),
        ),
    )


def read_faq_bank(path: str | Path) -> list[FaqEntry]:
    """Read an FAQ bank: ``{"id", "question", "answer"}`` per line; ids must be unique."""
    seen: dict[str, int] = {}
    out: list[FaqEntry] = []
    for ln, o in _iter_objects(path):
        entry = FaqEntry(
            id=_field_str(o, "id", path, ln, text=False),
            question=_field_str(o, "question", path, ln, text=True),
            answer=_field_str(o, "answer", path, ln, text=True),
        )
        if entry.id in seen:
            raise ProjectError(
                f"FAQ id {entry.id!r} already used on line {seen[entry.id]}",
                code="AM109",
                file=str(path),
                line=ln,
                hint="give every FAQ its own id",
            )
        seen[entry.id] = ln
        out.append(entry)
    return out


def read_faq_queries(path: str | Path, faq_ids: Iterable[str] | None = None) -> list[FaqQuery]:
    """Read FAQ queries: ``{"text", "faq_id"}`` per line.

    With ``faq_ids`` (the bank's ids) a query that points at an FAQ the bank lacks is an
    error (AM119): it could never be answered and would silently lower every score.
    """
    known = set(faq_ids) if faq_ids is not None else None
    out: list[FaqQuery] = []
    for ln, o in _iter_objects(path):
        q = FaqQuery(
            text=_field_str(o, "text", path, ln, text=True),
            faq_id=_field_str(o, "faq_id", path, ln, text=False),
        )
        if known is not None and q.faq_id not in known:
            raise ProjectError(
                f"faq_id {q.faq_id!r} is not in the FAQ bank",
                code="AM119",
                file=str(path),
                line=ln,
                hint="fix the id or add the FAQ to the bank",
            )
        out.append(q)
    return out


def split_half(records: Sequence[R], label_key: str, seed: int = 0) -> tuple[list[R], list[R]]:
    """Split records into two halves, seeded and stratified by ``label_key``.

    Why: the benchmark suite tunes on one half of a dev file and reports on the other, so
    each half must carry every class in the same proportion. Within each class (labels in
    sorted order) the records are shuffled with one ``numpy`` generator seeded by ``seed``
    and the first half goes to ``half_a``. A class with an odd count has one record left
    over; those go to ``a`` and ``b`` in turn (class by class, sorted), so classes of a single
    example (e.g. one FAQ query per FAQ) are spread evenly and deterministically. Each half
    keeps the records in their original order. The halves are disjoint and cover every
    record; the same input and seed always give the same halves.
    """
    groups: dict[Any, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        groups[_get(r, label_key)].append(i)
    rng = np.random.default_rng(seed)
    in_a = np.zeros(len(records), dtype=bool)
    odd_turn = 0
    for label in sorted(groups, key=lambda v: (type(v).__name__, str(v))):
        idx = np.asarray(groups[label], dtype=np.int64)
        idx = idx[rng.permutation(idx.size)]
        n_a = idx.size // 2
        if idx.size % 2 == 1:
            n_a += 1 if odd_turn % 2 == 0 else 0
            odd_turn += 1
        in_a[idx[:n_a]] = True
    half_a = [r for i, r in enumerate(records) if in_a[i]]
    half_b = [r for i, r in enumerate(records) if not in_a[i]]
    return half_a, half_b


def _get(record: Any, key: str) -> Any:
    if isinstance(record, dict):
        return record[key]
    return getattr(record, key)


def _as_dict(record: Any) -> dict[str, Any]:
    if isinstance(record, dict):
        return record
    if is_dataclass(record) and not isinstance(record, type):
        return asdict(record)
    raise TypeError(f"cannot write a {type(record).__name__} as a JSON object")


def write_jsonl(path: str | Path, records: Iterable[Any]) -> Path:
    """Write records (dataclasses or dicts) as UTF-8 JSONL, atomically.

    The file is written beside its destination and renamed into place, so a reader (or a
    benchmark run that was interrupted) never sees half a file.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            for r in records:
                f.write(json.dumps(_as_dict(r), ensure_ascii=False))
                f.write("\n")
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p
